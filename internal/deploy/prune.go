package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/berth-sh/berth/executor/prune"
	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// Pruned is what a prune removed (or, dry, would remove) on one host.
type Pruned struct {
	Host string
	prune.Result
}

// PruneOptions are the service's prune options from its configuration.
func PruneOptions(cfg *lang.Config) prune.Options {
	return prune.Options{Service: cfg.Service.Name, Destination: cfg.Destination, Retain: cfg.Deploy.Retain, Repos: []string{cfg.Service.Image}}
}

// Prune prunes the hosts at once, each with opts(host), and says what went
// on each.
func (s *Session) Prune(ctx context.Context, hosts []string, opts func(host string) prune.Options) ([]Pruned, error) {
	results := make([]Pruned, len(hosts))
	errs := fanout.Each(ctx, len(hosts), 0, func(ctx context.Context, i int) error {
		h := hosts[i]
		results[i].Host = h
		pctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		d, err := s.live.Client(pctx, h)
		if err == nil {
			results[i].Result, err = prune.Host(pctx, d, opts(h))
		}
		if err != nil {
			return fmt.Errorf("prune on %s: %w", h, err)
		}
		return nil
	})
	return results, errors.Join(errs...)
}

// pruneImagesAfter removes, after a successful apply of p, the images of
// the service's containers the plan saw that no container uses any more
// (those of containers the apply pruned or removed). A failure is a
// warning: the deploy itself succeeded.
func (s *Session) pruneImagesAfter(ctx context.Context, cfg *lang.Config, p *planner.Plan) []Pruned {
	ids := map[string]map[string]bool{}
	var hosts []string
	for _, c := range p.Changes {
		h := c.Address.Host
		for _, x := range append(slices.Clone(c.Others), derefs(c.Running)...) {
			if x.ImageID == "" {
				continue
			}
			if ids[h] == nil {
				ids[h] = map[string]bool{}
				hosts = append(hosts, h)
			}
			ids[h][x.ImageID] = true
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	base := PruneOptions(cfg)
	base.Images = true
	pruned, err := s.Prune(context.WithoutCancel(ctx), hosts, func(h string) prune.Options {
		o := base
		o.ImageIDs = ids[h]
		return o
	})
	if err != nil {
		s.warnf("%v", err)
	}
	return pruned
}
