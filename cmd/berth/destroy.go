package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

type destroyOptions struct {
	apply       applyOptions
	accessories bool
	out         string
	json        bool
	volumes     bool
}

func newDestroyCmd(a *app) *cobra.Command {
	var o destroyOptions
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Plan and apply the removal of every container berth started for the service",
		Long: `Destroy is a plan too: it reads the hosts, shows every container of the
service that would be removed (running and retained ones), asks for "yes"
and removes them. Only containers labelled with the service are touched;
nothing a person started on the same host is. Accessories are kept unless
--include-accessories is given. The volumes of the removed containers are
kept unless --remove-volumes is given.

--out FILE saves the destroy plan instead of applying it, with its options
(--include-accessories, --remove-volumes and the volumes to remove): 'berth
apply FILE' carries it out later, refusing it unless it is still what destroy
with those options gives.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.destroy(cmd.Context(), o) },
	}
	f := cmd.Flags()
	o.apply.vars.register(f)
	f.BoolVar(&o.accessories, "include-accessories", false, "remove the accessories too")
	f.BoolVar(&o.volumes, "remove-volumes", false, "also remove the volumes of the removed containers (named volumes are kept otherwise)")
	f.StringVar(&o.out, "out", "", "save the destroy plan to `FILE` for 'berth apply FILE' instead of applying it")
	f.BoolVar(&o.json, "json", false, "print the plan as JSON (with --out: instead of the human rendering)")
	f.BoolVar(&o.apply.autoApprove, "auto-approve", false, "destroy without asking for confirmation")
	f.IntVar(&o.apply.parallelism, "parallelism", 0, parallelismUsage)
	f.StringVarP(&o.apply.message, "message", "m", "", "why: recorded in the lock and the audit log")
	f.BoolVar(&o.apply.noColor, "no-color", false, "no colours in the output")
	registerLockWait(f, &o.apply.lockWait)
	return cmd
}

func (a *app) destroy(ctx context.Context, o destroyOptions) error {
	cfg, sess, err := a.open(ctx, o.apply.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	opts := planner.Options{Destroy: true, IncludeAccessories: o.accessories, RemoveVolumes: o.volumes, Logger: a.logger()}
	if o.out != "" {
		p, err := sess.Plan(ctx, opts)
		if err != nil {
			return err
		}
		if err := planner.WriteFile(o.out, p); err != nil {
			return err
		}
		if err := a.render(p, o.json, o.apply.noColor); err != nil {
			return err
		}
		fmt.Fprintf(a.Err, "\nSaved the destroy plan to %s. To carry it out, run:\n    berth apply %s\n", o.out, o.out)
		return nil
	}
	release, err := sess.Lock(ctx, cfg, o.apply.message, o.apply.lockWait)
	if err != nil {
		return err
	}
	defer release()
	p, err := sess.Plan(ctx, opts)
	if err != nil {
		return err
	}
	if err := a.render(p, o.json, o.apply.noColor); err != nil {
		return err
	}
	if len(cfg.Accessories) > 0 && !o.accessories {
		fmt.Fprintln(a.Err, "Accessories are kept; --include-accessories removes them too.")
	}
	if !p.HasChanges() {
		return nil
	}
	if !o.apply.autoApprove {
		if err := a.confirm(); err != nil {
			return err
		}
	}
	var kept map[string][]string
	if !o.volumes {
		kept = sess.VolumesOf(ctx, p)
	}
	o.apply.command = "destroy"
	if err := a.execute(ctx, sess, cfg, p, o.apply); err != nil {
		return err
	}
	for _, h := range slices.Sorted(maps.Keys(kept)) {
		fmt.Fprintf(a.Out, "Kept the volumes on %s: %s (--remove-volumes removes them)\n", h, strings.Join(kept[h], ", "))
	}
	a.removeNetworks(ctx, sess, p)
	return a.removeVolumes(ctx, sess, p)
}

// render prints a plan as JSON or for people.
func (a *app) render(p *planner.Plan, asJSON, noColor bool) error {
	if asJSON {
		return view.PlanJSON(a.Out, p)
	}
	return view.Plan(a.Out, p, view.HumanOptions{Color: a.color(noColor)})
}
