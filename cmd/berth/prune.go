package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/prune"
	"github.com/berth-sh/berth/internal/deploy"
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
	cfg, sess, err := a.open(ctx, o.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	if !o.dryRun {
		release, err := sess.Lock(ctx, cfg, "prune", o.lockWait)
		if err != nil {
			return err
		}
		defer release()
	}
	both := !o.images && !o.containers
	opts := deploy.PruneOptions(cfg)
	opts.Images, opts.Containers, opts.DryRun = both || o.images, both || o.containers, o.dryRun
	hosts := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		hosts[i] = h.Name
	}
	pruned, err := sess.Prune(ctx, hosts, func(string) prune.Options { return opts })
	printPruned(a.Out, pruned, o.dryRun, false)
	return err
}

// printPruned says what went, host by host (quiet: nothing when nothing
// went).
func printPruned(w io.Writer, pruned []deploy.Pruned, dry, quiet bool) {
	verb := "Removed"
	if dry {
		verb = "Would remove"
	}
	total := 0
	for _, r := range pruned {
		if len(r.Containers) > 0 {
			fmt.Fprintf(w, "%s on %s: %d container(s): %s\n", verb, r.Host, len(r.Containers), strings.Join(r.Containers, ", "))
		}
		if len(r.Images) > 0 {
			fmt.Fprintf(w, "%s on %s: %d image reference(s): %s\n", verb, r.Host, len(r.Images), strings.Join(r.Images, ", "))
		}
		total += len(r.Containers) + len(r.Images)
	}
	if total == 0 && !quiet {
		fmt.Fprintln(w, "Nothing to prune.")
	}
}
