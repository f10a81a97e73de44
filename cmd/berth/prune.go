package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/prune"
	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

type pruneOptions struct {
	vars       varFlags
	dryRun     bool
	images     bool
	containers bool
	lockWait   time.Duration
}

func newPruneCmd(a *app) *cobra.Command {
	var o pruneOptions
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove old stopped containers beyond deploy.retain and unused images of the service",
		Long: `On every host: remove the stopped containers of each role and accessory
beyond the deploy.retain newest (those are kept for berth rollback),
stopped one-off containers of berth exec, and the images of the service's
repository that no container on the host uses any more. Running
containers, containers berth did not start and images of other
repositories are never touched. berth apply prunes the same way after a
successful deploy. Takes the deploy lock.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.prune(cmd.Context(), o) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.BoolVar(&o.dryRun, "dry-run", false, "say what would be removed, remove nothing")
	f.BoolVar(&o.images, "images", false, "only images")
	f.BoolVar(&o.containers, "containers", false, "only containers")
	registerLockWait(f, &o.lockWait)
	return cmd
}

func (a *app) prune(ctx context.Context, o pruneOptions) error {
	cfg, conns, err := a.open(ctx, o.vars)
	if err != nil {
		return err
	}
	defer conns.Close()
	if !o.dryRun {
		release, err := a.takeLock(ctx, cfg, conns, "prune", o.lockWait)
		if err != nil {
			return err
		}
		defer release()
	}
	both := !o.images && !o.containers
	opts := pruneOpts(cfg)
	opts.Images, opts.Containers, opts.DryRun = both || o.images, both || o.containers, o.dryRun
	hosts := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		hosts[i] = h.Name
	}
	return a.pruneHosts(ctx, conns, hosts, func(string) prune.Options { return opts }, false)
}

// pruneImagesAfter removes, after a successful apply of p, the images of
// the service's containers the plan saw that no container uses any more
// (those of containers the apply pruned or removed). A failure is a
// warning: the deploy itself succeeded.
func (a *app) pruneImagesAfter(ctx context.Context, cfg *lang.Config, conns *connections, p *planner.Plan) {
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
		return
	}
	base := pruneOpts(cfg)
	base.Images = true
	err := a.pruneHosts(context.WithoutCancel(ctx), conns, hosts, func(h string) prune.Options {
		o := base
		o.ImageIDs = ids[h]
		return o
	}, true)
	if err != nil {
		fmt.Fprintf(a.Err, "Warning: %v\n", err)
	}
}

func derefs(c *planner.Container) []planner.Container {
	if c == nil {
		return nil
	}
	return []planner.Container{*c}
}

func pruneOpts(cfg *lang.Config) prune.Options {
	return prune.Options{Service: cfg.Service.Name, Retain: cfg.Deploy.Retain, Repos: []string{cfg.Service.Image}}
}

// pruneHosts prunes the hosts at once and prints what went, host by host
// (quiet: nothing when nothing went).
func (a *app) pruneHosts(ctx context.Context, conns *connections, hosts []string, opts func(host string) prune.Options, quiet bool) error {
	results := make([]prune.Result, len(hosts))
	errs := fanout.Each(ctx, len(hosts), 0, func(ctx context.Context, i int) error {
		h := hosts[i]
		pctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		d, err := conns.live.Client(pctx, h)
		if err == nil {
			results[i], err = prune.Host(pctx, d, opts(h))
		}
		if err != nil {
			return fmt.Errorf("prune on %s: %w", h, err)
		}
		return nil
	})
	verb := "Removed"
	if len(hosts) > 0 && opts(hosts[0]).DryRun {
		verb = "Would remove"
	}
	total := 0
	for i, r := range results {
		if len(r.Containers) > 0 {
			fmt.Fprintf(a.Out, "%s on %s: %d container(s): %s\n", verb, hosts[i], len(r.Containers), strings.Join(r.Containers, ", "))
		}
		if len(r.Images) > 0 {
			fmt.Fprintf(a.Out, "%s on %s: %d image reference(s): %s\n", verb, hosts[i], len(r.Images), strings.Join(r.Images, ", "))
		}
		total += len(r.Containers) + len(r.Images)
	}
	if total == 0 && !quiet {
		fmt.Fprintln(a.Out, "Nothing to prune.")
	}
	return errors.Join(errs...)
}
