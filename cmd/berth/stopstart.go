package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

// newStopCmd and newStartCmd are Kamal's app stop and app start, as plans.
func newStopCmd(a *app) *cobra.Command {
	return stopStartCmd(a, "stop", "Stop the running containers of a role, gracefully, and keep them (a plan)",
		`Plan, show, ask for "yes" and stop the role's running containers on
every host (or --host), with the role's stop_signal and stop_timeout; they
are kept, stopped. Under the deploy lock, with an audit line.

The configuration still says the role runs: the next berth plan shows
"state: exited → running" for it, and the next apply (or berth start)
starts it again. To keep a role off, remove it from the configuration.`)
}

func newStartCmd(a *app) *cobra.Command {
	return stopStartCmd(a, "start", "Start the stopped containers of a role again (a plan)",
		`Plan, show, ask for "yes" and start the role's stopped container of the
configured version and configuration again, on every host, primary first
behind the barrier, with its health check. It refuses when anything else
would change (another version or configuration): that is berth apply's job.`)
}

func stopStartCmd(a *app, verb, short, long string) *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   verb + " ROLE",
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return a.stopStart(cmd.Context(), verb, args[0], o) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.BoolVar(&o.autoApprove, "auto-approve", false, verb+" without asking for confirmation")
	f.StringArrayVar(&o.targets, "host", nil, "only on this host (repeatable)")
	f.StringVarP(&o.message, "message", "m", "", "why: recorded in the lock and the audit log")
	f.BoolVar(&o.noColor, "no-color", false, "no colours in the output")
	registerLockWait(f, &o.lockWait)
	return cmd
}

func (a *app) stopStart(ctx context.Context, verb, role string, o applyOptions) error {
	cfg, sess, err := a.open(ctx, o.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	if !slices.ContainsFunc(cfg.Roles, func(r lang.Role) bool { return r.Name == role }) {
		return fmt.Errorf("berth %s %s: no role %q in the configuration", verb, role, role)
	}
	release, err := sess.Lock(ctx, cfg, o.message, o.lockWait)
	if err != nil {
		return err
	}
	defer release()
	targets := []string{role}
	for _, h := range o.targets {
		targets = append(targets, h+"/"+role)
	}
	if len(o.targets) > 0 {
		targets = targets[1:]
	}
	p, err := sess.Plan(ctx, planner.Options{Targets: targets, Stop: verb == "stop", NoHooks: true})
	if err != nil {
		return err
	}
	if verb == "start" {
		if err := onlyRestarts(p); err != nil {
			return err
		}
	}
	if ok, err := a.showAndConfirm(p, o); !ok {
		return err
	}
	o.command = verb
	return a.execute(ctx, sess, cfg, p, o)
}

// onlyRestarts refuses a start plan that would do more than start the
// stopped containers again.
func onlyRestarts(p *planner.Plan) error {
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged || c.Restarts() {
			continue
		}
		var why []string
		for _, r := range c.Reasons {
			why = append(why, view.ReasonText(r))
		}
		return fmt.Errorf("berth start only starts stopped containers again, and %s needs a %s (%s): use berth apply", c.Address, c.Action, strings.Join(why, "; "))
	}
	return nil
}
