package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/executor/audit"
	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// maintenanceTimeout bounds each `kamal-proxy stop|resume`, beyond the
// route's drain timeout.
const maintenanceTimeout = 30 * time.Second

// ErrNotProxied reports a maintenance of a role that no proxy routes.
var ErrNotProxied = errors.New("is not behind the proxy")

// MaintenanceOptions say what `berth maintenance on|off` does.
type MaintenanceOptions struct {
	On      bool
	Message string   // shown on the 503 page; only with On
	Roles   []string // the proxied roles concerned; none: every proxied role
	Command string   // for the audit log: "maintenance on", "maintenance off"
}

// RouteDone is one route a maintenance command stopped or resumed.
type RouteDone struct {
	Host, Route string
}

// Maintenance stops (On) or resumes the routes of the service's proxied
// roles in the proxy of every host they run on: while stopped, kamal-proxy
// answers their requests with 503 and the message, and a deploy keeps
// them stopped. The caller holds the deploy lock; an audit line goes to
// every host concerned before and after. Every host is tried; the error
// joins each failure, naming its host.
func (s *Session) Maintenance(ctx context.Context, o MaintenanceOptions) ([]RouteDone, error) {
	roles, err := maintenanceRoles(s.Config, o.Roles)
	if err != nil {
		return nil, err
	}
	var hosts []string
	for _, r := range roles {
		for _, h := range r.Hosts {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
	}
	entry := audit.Entry{Service: s.Config.StateName(), Who: s.env.Who, Command: o.Command, Version: s.Config.Version.Full}
	summary := maintenanceSummary(s.Config, roles, o)
	s.auditHosts(ctx, hosts, entry, "started", summary)
	done := make([][]RouteDone, len(hosts))
	errs := fanout.Each(ctx, len(hosts), 0, func(ctx context.Context, i int) error {
		var err error
		done[i], err = s.maintainHost(ctx, hosts[i], roles, o)
		return err
	})
	err = errors.Join(errs...)
	result := Succeeded
	if err != nil {
		result = Failed
	}
	s.auditHosts(ctx, hosts, entry, result, summary)
	return slices.Concat(done...), err
}

// maintenanceRoles are the proxied roles named (all when none is).
func maintenanceRoles(cfg *lang.Config, names []string) ([]*lang.Role, error) {
	var out []*lang.Role
	for _, n := range names {
		var r *lang.Role
		if i := slices.IndexFunc(cfg.Roles, func(r lang.Role) bool { return r.Name == n }); i >= 0 {
			r = &cfg.Roles[i]
		}
		switch {
		case r == nil:
			return nil, fmt.Errorf("berth maintenance: no role %q in the configuration", n)
		case r.Proxy == nil:
			return nil, fmt.Errorf("berth maintenance: the role %q %w (no proxy block): maintenance is the proxy's", n, ErrNotProxied)
		}
		out = append(out, r)
	}
	if len(names) > 0 {
		return out, nil
	}
	for i := range cfg.Roles {
		if cfg.Roles[i].Proxy != nil {
			out = append(out, &cfg.Roles[i])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("berth maintenance: no role of %s %w", cfg.Service.Name, ErrNotProxied)
	}
	return out, nil
}

func maintenanceSummary(cfg *lang.Config, roles []*lang.Role, o MaintenanceOptions) string {
	var names []string
	for _, r := range roles {
		names = append(names, planner.RouteName(cfg, r.Name))
	}
	s := o.Command + ": " + strings.Join(names, ", ")
	if o.On && o.Message != "" {
		s += fmt.Sprintf(" (message %q)", o.Message)
	}
	return s
}

// maintainHost stops or resumes, in host's proxy, the route of each role
// that runs on host.
func (s *Session) maintainHost(ctx context.Context, host string, roles []*lang.Role, o MaintenanceOptions) ([]RouteDone, error) {
	d, err := s.Docker(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", host, withoutHost(err, host))
	}
	var done []RouteDone
	var errs []error
	for _, r := range roles {
		if !slices.Contains(r.Hosts, host) {
			continue
		}
		route := planner.RouteName(s.Config, r.Name)
		argv := executor.ProxyResumeArgs(route)
		if o.On {
			argv = executor.ProxyStopArgs(route, o.Message, r.Proxy.DrainTimeout)
		}
		xctx, cancel := context.WithTimeout(ctx, r.Proxy.DrainTimeout+maintenanceTimeout)
		code, out, err := d.Exec(xctx, s.hostProxy(xctx, d), argv)
		cancel()
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(string(out)))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("host %s: %s %s: %w", host, argv[1], route, err))
			continue
		}
		done = append(done, RouteDone{Host: host, Route: route})
	}
	return done, errors.Join(errs...)
}
