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
// that the remove changes remove: what destroy --remove-volumes deletes.
func volumesOf(ctx context.Context, r VolumeReader, cfg *lang.Config, changes []Change) (map[string][]string, error) {
	out := map[string][]string{}
	for _, c := range changes {
		if c.Action != ActionRemove {
			continue
		}
		cs := slices.Clone(c.Others)
		if c.Running != nil {
			cs = append(cs, *c.Running)
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
