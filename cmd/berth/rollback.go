package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/planner/rollback"
)

type rollbackOptions struct {
	apply applyOptions
	list  bool
	json  bool
}

func newRollbackCmd(a *app) *cobra.Command {
	var o rollbackOptions
	cmd := &cobra.Command{
		Use:   "rollback VERSION | --list",
		Short: "Return the roles to a version still retained on the hosts (no pull, no registry)",
		Long: `Plan and apply a return to VERSION, using the stopped containers that
berth keeps after a deploy (deploy.retain). No image is pulled and the
registry is not asked: the digests come from the retained containers.
The rollback goes through the deployment barrier like any apply: the
primary role on its primary host first, the others only once it is healthy.

It refuses, before changing anything, when a host of a role has no
container of VERSION left (pruned, or never deployed there). Accessories
are not touched. --list shows the versions retained per host and role.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return cobra.NoArgs(cmd, args)
			}
			if len(args) != 1 {
				return errors.New("rollback needs the VERSION to return to (see berth rollback --list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.list {
				return a.rollbackList(cmd.Context(), o)
			}
			return a.rollback(cmd.Context(), o, args[0])
		},
	}
	f := cmd.Flags()
	o.apply.vars.register(f)
	f.BoolVar(&o.list, "list", false, "show the versions retained on every host")
	f.BoolVar(&o.json, "json", false, "with --list: machine-readable output")
	f.BoolVar(&o.apply.autoApprove, "auto-approve", false, "roll back without asking for confirmation")
	f.IntVar(&o.apply.parallelism, "parallelism", 0, parallelismUsage)
	f.StringVarP(&o.apply.message, "message", "m", "", "why: recorded in the lock and the audit log")
	f.BoolVar(&o.apply.noColor, "no-color", false, "no colours in the output")
	registerLockWait(f, &o.apply.lockWait)
	registerNoHooks(f, &o.apply.noHooks)
	return cmd
}

func (a *app) rollback(ctx context.Context, o rollbackOptions, to string) error {
	cfg, sess, err := a.open(ctx, o.apply.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	// The lock records the version being returned to.
	release, err := sess.Lock(ctx, rollback.WithVersion(cfg, to), o.apply.message, o.apply.lockWait)
	if err != nil {
		return err
	}
	defer release()

	states, err := sess.ReadStates(ctx)
	if err != nil {
		return err
	}
	p, rcfg, err := rollback.Plan(ctx, cfg, states, to, planner.Options{BerthVersion: version, Logger: a.logger()})
	if errors.Is(err, rollback.ErrNotRetained) {
		return fmt.Errorf("cannot roll back to %s; nothing was changed:\n%w", to, err)
	}
	if err != nil {
		return err
	}
	if p.Hooks, err = a.findHooks(o.apply.noHooks, hooks.ForRollback...); err != nil {
		return err
	}
	if ok, err := a.showAndConfirm(p, o.apply); !ok {
		return err
	}
	o.apply.command = "rollback"
	return a.execute(ctx, sess, rcfg, p, o.apply)
}

func (a *app) rollbackList(ctx context.Context, o rollbackOptions) error {
	cfg, sess, err := a.open(ctx, o.apply.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	states, readErr := sess.ReadStates(ctx)
	list := rollback.List(states)
	if o.json {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		if list == nil {
			list = []rollback.Retained{}
		}
		if err := enc.Encode(map[string]any{"format_version": "1.0", "service": cfg.Service.Name, "version": cfg.Version.Full, "retained": list}); err != nil {
			return err
		}
		return readErr
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tROLE\tVERSION\tCONTAINER\tSTATE\tCREATED")
	for _, r := range list {
		role := r.Role
		if r.Accessory != "" {
			role = "accessory." + r.Accessory
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s ago\n", r.Host, role, r.Version, r.Container, r.State, age(r.Created))
	}
	tw.Flush()
	if len(list) == 0 {
		fmt.Fprintf(a.Out, "No container of service %s on any host.\n", cfg.Service.Name)
	}
	return readErr
}
