package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

// openSaved reads a plan file and prints its digest, so that the output of
// an apply says which file it applied.
func (a *app) openSaved(path string) (*planner.Plan, error) {
	f, err := planner.Open(path)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(a.Out, view.FileInfo{Path: f.Path, Digest: f.Digest}.Line())
	return f.Plan, nil
}

// verifySaved re-derives a saved plan from the configuration, the plan's
// variables and options and the live hosts, and returns the re-derived
// plan if it equals the saved one. The caller holds the lock.
func (a *app) verifySaved(ctx context.Context, cfg *lang.Config, conns *connections, saved *planner.Plan) (*planner.Plan, error) {
	p, err := planner.Verify(ctx, saved, cfg, conns.deps(), planner.Options{BerthVersion: version, Logger: a.logger()})
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(a.Out, "The plan file matches what the configuration and the hosts give now.")
	return p, nil
}

// removeVolumes removes the named volumes a plan lists (destroy
// --remove-volumes), after its containers are gone.
func (a *app) removeVolumes(ctx context.Context, conns *connections, p *planner.Plan) error {
	var errs []error
	for _, h := range slices.Sorted(maps.Keys(p.Volumes)) {
		d, err := conns.live.Client(ctx, h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, v := range p.Volumes[h] {
			if err := d.RemoveVolume(ctx, v); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				errs = append(errs, fmt.Errorf("host %s: %w", h, err))
				continue
			}
			fmt.Fprintf(a.Out, "Removed volume %s on %s\n", v, h)
		}
	}
	return errors.Join(errs...)
}

// volumeReader lists a container's named volumes for the planner.
type volumeReader struct{ c *connections }

var _ planner.VolumeReader = volumeReader{}

func (v volumeReader) Volumes(ctx context.Context, host, id string) ([]string, error) {
	d, err := v.c.live.Client(ctx, host)
	if err != nil {
		return nil, err
	}
	ms, err := d.Mounts(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.Type == "volume" && m.Name != "" {
			out = append(out, m.Name)
		}
	}
	return out, nil
}
