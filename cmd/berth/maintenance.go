package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/internal/deploy"
)

type maintenanceOptions struct {
	vars     varFlags
	message  string
	roles    []string
	lockWait time.Duration
}

// newMaintenanceCmd is Kamal's app maintenance and app live: the proxy
// answers the routes of the service's proxied roles with 503.
func newMaintenanceCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "maintenance on|off",
		Short: "Put the service's proxied roles in maintenance (503 with a message), or take them out",
		Long: `berth maintenance on stops the routes of the service's proxied roles (or
--role) in the kamal-proxy of every host they run on: requests get 503 and
kamal-proxy's error page with --message, the containers keep running, and a
deploy keeps the routes stopped. berth maintenance off resumes them. berth
status shows a route in maintenance. Under the deploy lock, with an audit
line on every host concerned.`,
	}
	cmd.AddCommand(maintenanceVerb(a, true), maintenanceVerb(a, false))
	return cmd
}

func maintenanceVerb(a *app, on bool) *cobra.Command {
	var o maintenanceOptions
	verb, short := "off", "Resume the routes: requests reach the containers again"
	if on {
		verb, short = "on", "Stop the routes: requests get 503 with the message"
	}
	cmd := &cobra.Command{
		Use:   verb,
		Short: short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.maintenance(cmd.Context(), on, o) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	if on {
		f.StringVar(&o.message, "message", "", "the message on the 503 page")
	}
	f.StringArrayVar(&o.roles, "role", nil, "only this proxied `ROLE` (repeatable; default every proxied role)")
	registerLockWait(f, &o.lockWait)
	return cmd
}

func (a *app) maintenance(ctx context.Context, on bool, o maintenanceOptions) error {
	cfg, sess, err := a.open(ctx, o.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	command := "maintenance off"
	if on {
		command = "maintenance on"
	}
	release, err := sess.Lock(ctx, cfg, command+" "+o.message, o.lockWait)
	if err != nil {
		return err
	}
	defer release()
	done, err := sess.Maintenance(ctx, deploy.MaintenanceOptions{On: on, Message: o.message, Roles: o.roles, Command: command})
	state := "resumed: requests reach the containers again"
	if on {
		state = "in maintenance: requests get 503"
		if o.message != "" {
			state += fmt.Sprintf(" (%q)", o.message)
		}
	}
	for _, d := range done {
		fmt.Fprintf(a.Out, "%s  %s  %s\n", d.Host, d.Route, state)
	}
	return err
}
