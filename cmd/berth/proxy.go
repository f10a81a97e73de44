package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/logs"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// newProxyCmd is Kamal's `kamal proxy`: the day-two operations of the
// shared kamal-proxy on the hosts of the service's proxied roles.
func newProxyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "proxy logs|reboot",
		Short: "The shared kamal-proxy of the service's proxied hosts: its logs, a reboot",
	}
	cmd.AddCommand(newProxyLogsCmd(a), newProxyRebootCmd(a))
	return cmd
}

type proxyLogsOptions struct {
	vars   varFlags
	hosts  []string
	lines  int
	follow bool
}

func newProxyLogsCmd(a *app) *cobra.Command {
	var o proxyLogsOptions
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "The logs of berth-proxy on every host of a proxied role, merged, each line prefixed with its host",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.proxyLogs(cmd.Context(), o) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.StringArrayVar(&o.hosts, "host", nil, "only this host (repeatable)")
	f.IntVarP(&o.lines, "lines", "n", 0, "at most N lines per host (default 100, with -f 10)")
	f.BoolVarP(&o.follow, "follow", "f", false, "follow every host until Ctrl-C")
	return cmd
}

// proxiedHosts are the hosts of the configuration's proxied roles, in
// configuration order.
func proxiedHosts(cfg *lang.Config) []string {
	var out []string
	for _, h := range cfg.Hosts {
		if cfg.Proxied(h.Name) {
			out = append(out, h.Name)
		}
	}
	return out
}

func (a *app) proxyLogs(ctx context.Context, o proxyLogsOptions) error {
	cfg, err := a.loadConfig(ctx, o.vars)
	if err != nil {
		return err
	}
	hosts := proxiedHosts(cfg)
	if len(hosts) == 0 {
		return errors.New("no role of the configuration is behind the proxy (a proxy block)")
	}
	for _, h := range o.hosts {
		if !slices.Contains(hosts, h) {
			return fmt.Errorf("--host %s: no proxied role runs on it (the proxy runs on %s)", h, strings.Join(hosts, ", "))
		}
	}
	if len(o.hosts) > 0 {
		hosts = o.hosts
	}
	opts := logs.Options{Tail: defaultTail(o.lines, o.follow)}
	sess, err := a.session(cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	var sources []logs.Source
	for _, h := range hosts {
		d, err := sess.Docker(ctx, h)
		if err != nil {
			return fmt.Errorf("host %s: %w", h, err)
		}
		sources = append(sources, logs.Source{Host: h, Container: planner.ProxyContainer, ID: planner.ProxyContainer, Docker: d})
	}
	return a.showLogs(ctx, sources, opts, o.follow)
}

type proxyRebootOptions struct {
	apply   applyOptions
	rolling bool
}

func newProxyRebootCmd(a *app) *cobra.Command {
	var o proxyRebootOptions
	cmd := &cobra.Command{
		Use:   "reboot",
		Short: "Replace berth-proxy on every host of a proxied role with a new container of the same image, routes kept",
		Long: `berth proxy reboot plans and applies a new berth-proxy container (the same
image and configuration) on every host of the service's proxied roles: the
old one stops, the new one takes over its routes of every service from the
proxy's volume, and its health step checks that it serves every route the
old one did. With --rolling, one host at a time (each host is without a
proxy for about a second, see the README); without it, every host at once.
Under the deploy lock, with the plan shown and "yes" asked for unless
--auto-approve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.apply.targets, o.apply.replace = []string{"proxy"}, []string{"proxy"}
			o.apply.proxyAtOnce, o.apply.command = !o.rolling, "proxy reboot"
			if o.apply.message == "" {
				o.apply.message = "proxy reboot"
			}
			return a.apply(cmd.Context(), o.apply, "")
		},
	}
	f := cmd.Flags()
	o.apply.vars.register(f)
	f.BoolVar(&o.rolling, "rolling", false, "one host at a time, each only once the previous host's new proxy serves every route")
	f.BoolVar(&o.apply.autoApprove, "auto-approve", false, "reboot without asking for confirmation")
	f.StringVarP(&o.apply.message, "message", "m", "", "why: recorded in the lock and the audit log")
	registerLockWait(f, &o.apply.lockWait)
	return cmd
}
