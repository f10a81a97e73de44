package planner

import (
	"context"
	"fmt"
	"slices"

	"github.com/berth-sh/berth/lang"
)

// VolumeReader lists the named volumes (not bind mounts) that a container
// mounts.
type VolumeReader interface {
	Volumes(ctx context.Context, host, containerID string) ([]string, error)
}

// volumesOf lists, per host, the named volumes mounted by the containers
// that the remove changes remove (running, extra and retained ones): what
// destroy --remove-volumes deletes. The proxy's volume is never listed.
func volumesOf(ctx context.Context, r VolumeReader, cfg *lang.Config, changes []Change) (map[string][]string, error) {
	out := map[string][]string{}
	for _, c := range changes {
		// The proxy's volume holds the routes of every service on the host.
		if c.Action != ActionRemove || c.Address.Proxy {
			continue
		}
		cs := append(slices.Clone(c.Others), c.Extra...)
		for _, x := range []*Container{c.Running, c.Keep} {
			if x != nil {
				cs = append(cs, *x)
			}
		}
		for _, x := range cs {
			vs, err := r.Volumes(ctx, c.Address.Host, x.ID)
			if err != nil {
				return nil, hostErr(cfg, c.Address.Host, fmt.Errorf("volumes of %s: %w", x.Name, err))
			}
			for _, v := range vs {
				if !slices.Contains(out[c.Address.Host], v) {
					out[c.Address.Host] = append(out[c.Address.Host], v)
				}
			}
		}
	}
	for h := range out {
		slices.Sort(out[h])
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
