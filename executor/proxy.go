package executor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// proxyExecSlack is added to a route's deploy and drain timeouts to bound
// the `kamal-proxy deploy` exec: kamal-proxy itself gives up first.
const proxyExecSlack = 30 * time.Second

// ProxyDeployArgs is the argv, run inside the proxy container without a
// shell, that points route at target: a container name or ID without a
// port (the route adds its app port). kamal-proxy health-checks the target, switches the route to it once
// healthy, then drains the previous target; it exits non-zero and keeps the
// previous target if the new one is not healthy within the deploy timeout.
func ProxyDeployArgs(route *planner.ProxyRoute, target string) []string {
	argv := []string{"kamal-proxy", "deploy", route.Service,
		"--target", target + ":" + strconv.Itoa(route.AppPort),
		"--health-check-path", route.HealthPath,
		"--health-check-interval", route.HealthInterval.String(),
		"--deploy-timeout", route.DeployTimeout.String(),
		"--drain-timeout", route.DrainTimeout.String(),
	}
	for _, h := range route.HostNames() {
		argv = append(argv, "--host", h)
	}
	if route.PathPrefix != "" {
		argv = append(argv, "--path-prefix", route.PathPrefix)
		if route.KeepPathPrefix {
			argv = append(argv, "--strip-path-prefix=false")
		}
	}
	argv = append(argv, tlsArgs(route)...)
	if route.ErrorPages != "" {
		argv = append(argv, "--error-pages", planner.PagesPath(route.Service, route.ErrorPages))
	}
	return append(argv, route.Options.Args()...)
}

// switchProxy is a proxied role's health step: the role's own health
// check, when it has one, must pass first; then the proxy checks the new
// container and routes to it. On failure the new container is removed and
// the proxy keeps routing to the old one (for the primary, the barrier
// closes).
func (r *run) switchProxy(ctx context.Context, d Docker, b *branch) error {
	err := r.ownHealth(ctx, d, b)
	if err == nil {
		err = r.deployTarget(ctx, d, b)
	}
	if err == nil {
		b.new = newRouted
		r.rep.Event(b.addr(), "proxy routes "+b.change.Desired.Proxy.Service+" to "+b.change.Desired.Name)
		return nil
	}
	if cerr := r.discardNew(context.WithoutCancel(ctx), d, b); cerr != nil && !uncertain(cerr) {
		err = errors.Join(err, cerr)
	}
	return err
}

// ownHealth waits for a proxied role's configured health check (cmd, shell
// or http); a role without one is checked by the proxy alone.
func (r *run) ownHealth(ctx context.Context, d Docker, b *branch) error {
	switch b.change.Desired.Health.Kind {
	case planner.HealthCmd, planner.HealthShell, planner.HealthHTTP:
		return r.waitHealthy(ctx, d, b)
	}
	return nil
}

type execResult struct {
	code int
	out  []byte
	err  error
}

// deployTarget runs `kamal-proxy deploy` for the new container and watches
// the container meanwhile: one that exits fails at once, without waiting
// for the proxy's deploy timeout (the proxy then keeps the old target).
// Ctrl-C does not cut the switch short: the proxy finishes or gives up
// within its deploy timeout, so berth always knows where the route points.
func (r *run) deployTarget(ctx context.Context, d Docker, b *branch) error {
	route := b.change.Desired.Proxy
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < route.DeployTimeout {
		// A deadline on the step (deploy.barrier_timeout): kamal-proxy
		// gives up by then itself, so the route never moves afterwards.
		shorter := *route
		shorter.DeployTimeout = max(time.Until(dl).Truncate(time.Second), time.Second)
		route = &shorter
	}
	xctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), route.DeployTimeout+route.DrainTimeout+proxyExecSlack)
	defer cancel()
	if err := r.joinAdopted(xctx, d, b.change.Address.Host, b.newID); err != nil {
		return err
	}
	proxy := r.proxyName(b.change.Address.Host)
	if err := r.installRouteFiles(xctx, d, b.addr(), route); err != nil {
		return err
	}
	done := make(chan execResult, 1)
	go func() {
		code, out, err := d.Exec(xctx, proxy, ProxyDeployArgs(route, shortID(b.newID)))
		done <- execResult{code, out, err}
	}()
	tick := time.NewTicker(r.opts.Poll)
	defer tick.Stop()
	for {
		select {
		case res := <-done:
			switch {
			case res.err != nil:
				return fmt.Errorf("%s: kamal-proxy deploy %s: %w", b.addr(), route.Service, res.err)
			case res.code != 0:
				return r.switchFailed(ctx, d, b, fmt.Sprintf("the proxy kept the old target: GET %s did not answer 2xx within %s", route.HealthPath, route.DeployTimeout), string(res.out))
			}
			return nil
		case <-tick.C:
			octx, ocancel := r.op(ctx)
			info, err := d.Inspect(octx, b.newID)
			ocancel()
			if err != nil {
				continue // the exec's answer decides
			}
			if reason := notRunning(info); reason != "" {
				return r.switchFailed(ctx, d, b, reason, "")
			}
		}
	}
}

func (r *run) switchFailed(ctx context.Context, d Docker, b *branch, reason, output string) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	logs, _ := d.Logs(lctx, b.newID, 20)
	return &HealthError{Address: b.addr(), Container: b.change.Desired.Name, Reason: reason, Output: strings.TrimSpace(output), Logs: string(logs)}
}

// unroute removes the routes that the host's proxy has to the containers
// of a role being removed, before they go: kamal-proxy would otherwise
// keep answering for them with errors, and refuse another service the same
// host and path. It is best effort: without a running proxy (removed in
// the same apply) there is no route left to remove.
func (r *run) unroute(ctx context.Context, d Docker, b *branch) {
	seen := map[string]bool{}
	for _, c := range liveContainers(b.change) {
		s, ok := planner.ParseSpecSummary(c.Labels[planner.LabelSpec])
		if !ok || s.Proxy == nil || seen[s.Proxy.Service] {
			continue
		}
		seen[s.Proxy.Service] = true
		code, out, err := d.Exec(ctx, r.proxyName(b.change.Address.Host), []string{"kamal-proxy", "remove", s.Proxy.Service})
		if err == nil && code == 0 {
			r.rep.Event(b.addr(), "proxy no longer routes "+s.Proxy.Service)
			continue
		}
		r.log.Debug("proxy route not removed", "address", b.addr().String(), "service", s.Proxy.Service, "exit", code, "output", string(out), "err", err)
		if err == nil && !strings.Contains(string(out), "not found") {
			// The proxy runs and kept the route: say so, the route
			// answers with errors until it is removed.
			r.rep.Event(b.addr(), fmt.Sprintf("proxy did not remove the route %s (exit %d: %s)", s.Proxy.Service, code, strings.TrimSpace(string(out))))
		}
	}
}

// proxyConflict explains a proxy that cannot be created because the name
// is taken: by a container that is not berth's proxy (the plan reads every
// container labelled berth.proxy=true, whichever service started it).
func proxyConflict(c *planner.Change, err error) error {
	if !c.Address.Proxy || !errors.Is(err, dockerapi.ErrConflict) {
		return err
	}
	return fmt.Errorf("%w\n  %s has a container named %s without the label %s=true, which berth did not start; remove or rename it",
		err, c.Address.Host, planner.ProxyContainer, planner.LabelProxy)
}

// freePortsForOld stops the host's proxy when a role moving behind it
// (its old container published ports) goes back to the old container:
// the proxy took over the port the old one needs to serve again.
func (r *run) freePortsForOld(ctx context.Context, d Docker, b *branch) error {
	if !movesBehindProxy(b) {
		return nil
	}
	if err := r.stopContainer(ctx, d, b, planner.ProxyContainer, planner.ProxyContainer); err != nil {
		return fmt.Errorf("give %s its ports back: %w", b.change.Running.Name, err)
	}
	r.rep.Event(b.addr(), "stopped "+planner.ProxyContainer+" to give "+b.change.Running.Name+" its ports back")
	return nil
}

// movesBehindProxy reports whether a proxied role's old container
// published host ports itself (the configuration just added the proxy).
func movesBehindProxy(b *branch) bool {
	if b.change.Desired == nil || b.change.Desired.Proxy == nil || b.change.Running == nil {
		return false
	}
	s, ok := planner.ParseSpecSummary(b.change.Running.Labels[planner.LabelSpec])
	return ok && len(s.Ports) > 0
}

// stoppedProxies are the proxies that a remove step stopped; they are
// removed once the apply is over, unless a role on their host went back to
// a container that the proxy served (then they run again).
type stoppedProxies struct {
	mu       sync.Mutex
	branches map[string]*branch // by host
}

// stopProxy is the remove step of a proxy: it stops the proxy, which frees
// its port; removeStoppedProxies removes it at the end of the apply. A
// proxy that another service routes through by now (its apply ran since
// the plan, under its own lock) is kept, and said.
func (r *run) stopProxy(ctx context.Context, d Docker, b *branch) error {
	if others := r.otherRoutesNow(ctx, d, b); len(others) > 0 {
		r.rep.Event(b.addr(), "kept "+planner.ProxyContainer+": other services route through it now ("+strings.Join(others, ", ")+")")
		return nil
	}
	if old := b.change.Running; old != nil {
		if err := r.stopContainer(ctx, d, b, old.ID, old.Name); err != nil {
			return err
		}
	}
	r.stopped.mu.Lock()
	defer r.stopped.mu.Unlock()
	if r.stopped.branches == nil {
		r.stopped.branches = map[string]*branch{}
	}
	r.stopped.branches[b.addr().Host] = b
	return nil
}

// otherRoutesNow are the names of the routes of other services in the
// host's running proxy, read again right before it goes.
func (r *run) otherRoutesNow(ctx context.Context, d Docker, b *branch) []string {
	old := b.change.Running
	if old == nil || r.cfg == nil {
		return nil
	}
	code, out, err := d.Exec(ctx, old.ID, planner.ProxyListArgs)
	if err != nil || code != 0 {
		return nil // the plan read the routes; a proxy that cannot say goes
	}
	st := planner.HostState{Host: b.addr().Host, Containers: liveContainers(b.change), Routes: planner.ParseProxyList(string(out))}
	for i := range r.plan.Changes {
		if c := &r.plan.Changes[i]; c.Address.Host == st.Host && c.Address.Role != "" {
			st.Containers = append(st.Containers, liveContainers(c)...)
		}
	}
	var names []string
	for _, rt := range planner.OtherRoutes(r.cfg, st) {
		names = append(names, rt.Service)
	}
	return names
}

// restartProxy starts the host's proxy again if this apply stopped it and
// b went back to an old container that the proxy served.
func (r *run) restartProxy(ctx context.Context, d Docker, b *branch) error {
	s, ok := planner.ParseSpecSummary(b.change.Running.Labels[planner.LabelSpec])
	if !ok || s.Proxy == nil {
		return nil
	}
	r.stopped.mu.Lock()
	px := r.stopped.branches[b.addr().Host]
	delete(r.stopped.branches, b.addr().Host)
	r.stopped.mu.Unlock()
	if px == nil || px.change.Running == nil {
		return nil
	}
	if err := d.Start(ctx, px.change.Running.ID); err != nil {
		return fmt.Errorf("start %s again for %s: %w", planner.ProxyContainer, b.change.Running.Name, err)
	}
	r.rep.Event(px.addr(), "restarted "+planner.ProxyContainer+" for "+b.change.Running.Name)
	return nil
}

// removeStoppedProxies removes the proxies still stopped at the end of
// the apply, with their retained old containers.
func (r *run) removeStoppedProxies() error {
	ctx := context.WithoutCancel(r.interrupt)
	r.stopped.mu.Lock()
	defer r.stopped.mu.Unlock()
	var errs []error
	for host, b := range r.stopped.branches {
		d, err := r.hosts.Docker(ctx, host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		octx, cancel := r.op(ctx)
		for _, c := range liveContainers(b.change) {
			if err := d.Remove(octx, c.ID, true); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				errs = append(errs, fmt.Errorf("%s: remove %s: %w", b.addr(), c.Name, err))
			}
		}
		cancel()
		delete(r.stopped.branches, host)
	}
	return errors.Join(errs...)
}

// switchBack points the route at the old container again (started again
// if it was stopped), or removes the route when there was none before.
func (r *run) switchBack(ctx context.Context, d Docker, b *branch) error {
	route := b.change.Desired.Proxy
	old := b.change.Running
	xctx, cancel := context.WithTimeout(ctx, route.DeployTimeout+route.DrainTimeout+proxyExecSlack)
	defer cancel()
	if movesBehindProxy(b) {
		// The old container served on its own ports, not through the
		// proxy: discardNew stops the proxy and starts the old one again.
		b.new = newHealthy
		return nil
	}
	argv := []string{"kamal-proxy", "remove", route.Service}
	if old != nil {
		if b.oldMayBeStopped() {
			if err := d.Start(xctx, old.ID); err != nil {
				return fmt.Errorf("start %s again: %w", old.Name, err)
			}
			b.old = oldServing
			r.rep.Event(b.addr(), "restarted "+old.Name)
		}
		argv = ProxyDeployArgs(route, shortID(old.ID))
		if err := r.installRouteFiles(xctx, d, b.addr(), route); err != nil {
			return err
		}
	}
	code, out, err := d.Exec(xctx, r.proxyName(b.change.Address.Host), argv)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(string(out)))
	}
	if err != nil {
		return fmt.Errorf("proxy: route %s back to %s: %w", route.Service, describeOld(b.change), err)
	}
	b.new = newHealthy
	r.rep.Event(b.addr(), "proxy routes "+route.Service+" to "+describeOld(b.change)+" again")
	return nil
}
