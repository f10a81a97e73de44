package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/logs"
	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

type logsOptions struct {
	vars   varFlags
	hosts  []string
	since  string
	lines  int
	follow bool
}

func newLogsCmd(a *app) *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs ROLE|ACCESSORY",
		Short: "The logs of a role's or accessory's containers on every host, merged, each line prefixed with host and container",
		Long: `Show the logs of the serving container of ROLE (or accessory NAME, also
written accessory.NAME) on each of its hosts, merged by time, each line
prefixed with its host and container. A host where nothing runs shows its
newest stopped container instead (why did it stop?).

-f follows every host at once, printing lines as they are written, until
Ctrl-C (exit status 130). It follows the containers that run when it
starts: a deploy that replaces one ends that host's stream. --since takes a duration (10m) or a time (2026-01-02T15:04:05Z);
--lines is per container (default 100, with -f 10).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.logs(cmd.Context(), o, args[0]) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.StringArrayVar(&o.hosts, "host", nil, "only this host (repeatable)")
	f.StringVar(&o.since, "since", "", "only lines since a duration ago (10m) or a time (RFC 3339)")
	f.IntVarP(&o.lines, "lines", "n", 0, "at most N lines per container (default 100, with -f 10; 0 with --since: all)")
	f.BoolVarP(&o.follow, "follow", "f", false, "follow every host until Ctrl-C")
	return cmd
}

// errUnknownTarget: a role or accessory name the configuration lacks.
var errUnknownTarget = errors.New("no role or accessory of that name")

func (a *app) logs(ctx context.Context, o logsOptions, target string) error {
	cfg, err := a.loadConfig(ctx, o.vars)
	if err != nil {
		return err
	}
	opts := logs.Options{Tail: o.lines}
	if o.since != "" {
		if opts.Since, err = parseSince(o.since, time.Now()); err != nil {
			return err
		}
	}
	if opts.Since.IsZero() {
		opts.Tail = defaultTail(opts.Tail, o.follow)
	}
	sess, err := a.session(cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	sources, err := a.logSources(ctx, cfg, sess, target, o.hosts)
	if err != nil {
		return err
	}
	return a.showLogs(ctx, sources, opts, o.follow)
}

// defaultTail is how many lines a log command shows without --lines (or
// --since): 100, or 10 before following.
func defaultTail(lines int, follow bool) int {
	switch {
	case lines != 0:
		return lines
	case follow:
		return 10
	}
	return 100
}

// showLogs prints the sources' logs, or follows them until Ctrl-C (exit 130).
func (a *app) showLogs(ctx context.Context, sources []logs.Source, opts logs.Options, follow bool) error {
	if !follow {
		return logs.Collect(ctx, sources, opts, a.Out)
	}
	err := logs.Follow(ctx, sources, opts, a.Out)
	if errors.Is(err, context.Canceled) {
		return exitError{code: 130}
	}
	return err
}

// logSources finds, on each host of the role or accessory (or of hosts
// when given), the container to show: the serving one, else the newest.
func (a *app) logSources(ctx context.Context, cfg *lang.Config, sess *deploy.Session, target string, only []string) ([]logs.Source, error) {
	role, acc, hosts, err := resolveTarget(cfg, target)
	if err != nil {
		return nil, err
	}
	for _, h := range only {
		if !slices.Contains(hosts, h) {
			return nil, fmt.Errorf("--host %s: %s does not run on it (it runs on %s)", h, target, strings.Join(hosts, ", "))
		}
	}
	if len(only) > 0 {
		hosts = slices.DeleteFunc(slices.Clone(hosts), func(h string) bool { return !slices.Contains(only, h) })
	}
	var sources []logs.Source
	var missing []string
	for _, h := range hosts {
		st, err := sess.ReadState(ctx, h)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", h, err)
		}
		c, ok := pick(st.Containers, role, acc)
		if !ok {
			missing = append(missing, h)
			continue
		}
		d, err := sess.Docker(ctx, h)
		if err != nil {
			return nil, err
		}
		sources = append(sources, logs.Source{Host: h, Container: c.Name, ID: c.ID, Docker: d})
	}
	if len(missing) > 0 {
		fmt.Fprintf(a.Err, "No container of %s on %s.\n", target, strings.Join(missing, ", "))
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no container of %s on any of its hosts: deploy it with berth apply", target)
	}
	return sources, nil
}

// resolveTarget finds a role or accessory by name ("web", "cache",
// "accessory.cache") and its hosts.
func resolveTarget(cfg *lang.Config, target string) (role, acc string, hosts []string, err error) {
	name, isAcc := strings.CutPrefix(target, "accessory.")
	if !isAcc {
		for _, r := range cfg.Roles {
			if r.Name == target {
				return r.Name, "", r.Hosts, nil
			}
		}
	}
	for _, x := range cfg.Accessories {
		if x.Name == name {
			return "", x.Name, x.Hosts, nil
		}
	}
	var names []string
	for _, r := range cfg.Roles {
		names = append(names, r.Name)
	}
	for _, x := range cfg.Accessories {
		names = append(names, "accessory."+x.Name)
	}
	return "", "", nil, fmt.Errorf("%s: %w (the configuration has %s)", target, errUnknownTarget, strings.Join(names, ", "))
}

// pick returns the newest running container of the role or accessory,
// else its newest container.
func pick(cs []planner.Container, role, acc string) (planner.Container, bool) {
	var best *planner.Container
	for i := range cs {
		c := &cs[i]
		if c.Role != role || c.Accessory != acc {
			continue
		}
		switch {
		case best == nil,
			c.Running() && !best.Running(),
			c.Running() == best.Running() && c.Created.After(best.Created):
			best = c
		}
	}
	if best == nil {
		return planner.Container{}, false
	}
	return *best, true
}

// parseSince reads a duration ago or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration such as 10m or 2h, or a time such as 2026-01-02T15:04:05Z", s)
}
