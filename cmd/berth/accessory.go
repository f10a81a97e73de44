package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/planner"
)

func newAccessoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accessory stop|start|restart|logs NAME",
		Short: "Day-two operations on an accessory: stop, start, restart it, read its logs",
		Long: `stop, start and restart change the hosts, so each is a plan of the
accessory alone on every host it runs on, shown and confirmed like apply
(--auto-approve), under the deploy lock, with progress lines and an audit
line on every host.

  stop     stops its running container gracefully (its stop_signal, then
           its stop_timeout before a kill) and keeps it, stopped.
  start    starts its stopped container again and waits for its health
           check; it does nothing where one runs.
  restart  stops its running container and starts the same container again,
           then waits for its health check.
  logs     its logs, like berth logs accessory.NAME.

A stopped accessory is a difference from the configuration: berth status
marks it DRIFT and the next berth plan (or apply) shows it as a start
("~ h3/accessory.db (start)"). berth apply --exclude accessory.NAME leaves
it stopped; berth lock acquire keeps every apply away during maintenance.`,
	}
	for _, op := range []string{planner.OpAccessoryStop, planner.OpAccessoryStart, planner.OpAccessoryRestart} {
		cmd.AddCommand(newAccessoryOpCmd(a, op))
	}
	logs := newLogsCmd(a)
	logs.Use, logs.Short = "logs NAME", "The accessory's logs on every host it runs on (as berth logs accessory.NAME)"
	run := logs.RunE
	logs.RunE = func(cmd *cobra.Command, args []string) error {
		return run(cmd, []string{"accessory." + strings.TrimPrefix(args[0], "accessory.")})
	}
	cmd.AddCommand(logs)
	return cmd
}

func newAccessoryOpCmd(a *app, op string) *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   op + " NAME",
		Short: strings.ToUpper(op[:1]) + op[1:] + " the accessory NAME on every host it runs on, through a plan",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.accessoryOp(cmd.Context(), o, planner.AccessoryOp{Op: op, Name: strings.TrimPrefix(args[0], "accessory.")})
		},
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.BoolVar(&o.autoApprove, "auto-approve", false, "go ahead without asking for confirmation")
	f.StringVarP(&o.message, "message", "m", "", "why: recorded in the lock and the audit log")
	f.BoolVar(&o.noColor, "no-color", false, "no colours in the output")
	registerLockWait(f, &o.lockWait)
	return cmd
}

// accessoryOp plans op under the lock, shows it, asks, and applies it.
func (a *app) accessoryOp(ctx context.Context, o applyOptions, op planner.AccessoryOp) error {
	cfg, sess, err := a.open(ctx, o.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	release, err := sess.Lock(ctx, cfg, o.message, o.lockWait)
	if err != nil {
		return err
	}
	defer release()
	p, err := sess.Plan(ctx, planner.Options{Accessory: &op, Logger: a.logger()})
	if err != nil {
		return err
	}
	if ok, err := a.showAndConfirm(p, o); !ok {
		return err
	}
	o.command = "accessory " + op.Op
	return a.execute(ctx, sess, cfg, p, o)
}
