package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-sh/berth/planner"
)

// proxyRoutesKept remembers, per host, the routes of a proxy that a
// replace (an upgrade of its image, a changed proxy block, a reboot) is
// about to stop, so that its health step can check that the new proxy
// serves every one of them again, of every service.
func (r *run) rememberRoutes(ctx context.Context, d Docker, b *branch) {
	old := b.change.Running
	if !b.change.Address.Proxy || old == nil || !old.Running() {
		return
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	code, out, err := d.Exec(octx, old.ID, planner.ProxyListArgs)
	if err != nil || code != 0 {
		r.log.Debug("routes of the old proxy not read", "address", b.addr().String(), "exit", code, "err", err)
		return
	}
	b.routes = routeNames(planner.ParseProxyList(string(out)))
}

// proxyHealth is the health step of a proxy: the container's own check
// (`kamal-proxy list`), then, after a replace, every route that the old
// proxy served must be in the new one (kamal-proxy restores them from its
// state in the volume). A route missing fails the step: the new proxy is
// removed and the old one started again.
func (r *run) proxyHealth(ctx context.Context, d Docker, b *branch) error {
	if err := r.health(ctx, d, b); err != nil || len(b.routes) == 0 {
		return err
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	code, out, err := d.Exec(octx, b.newID, planner.ProxyListArgs)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(string(out)))
	}
	var missing []string
	if err == nil {
		now := routeNames(planner.ParseProxyList(string(out)))
		for _, name := range b.routes {
			if !slices.Contains(now, name) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			r.rep.Event(b.addr(), fmt.Sprintf("%s serves every route again (%s)", b.change.Desired.Name, strings.Join(b.routes, ", ")))
			return nil
		}
		err = fmt.Errorf("the new proxy lost the routes %s", strings.Join(missing, ", "))
	}
	err = fmt.Errorf("%s: %w", b.addr(), err)
	if cerr := r.discardNew(context.WithoutCancel(ctx), d, b); cerr != nil && !uncertain(cerr) {
		err = errors.Join(err, cerr)
	}
	return err
}

func routeNames(routes []planner.LiveRoute) []string {
	names := make([]string, 0, len(routes))
	for _, rt := range routes {
		names = append(names, rt.Service)
	}
	slices.Sort(names)
	return names
}
