package executor

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/planner"
)

// proxyName is the proxy container of host that routes are switched in:
// Kamal's when the plan adopted it there (a takeover), else berth's.
func (r *run) proxyName(host string) string {
	if name := r.plan.AdoptedProxy(host); name != "" {
		return name
	}
	return planner.ProxyContainer
}

// joinAdopted connects an adopted proxy to berth's proxy network, where the
// new containers of proxied roles are; Kamal's containers stay reachable on
// Kamal's own network. It does nothing on a host berth's proxy serves.
func (r *run) joinAdopted(ctx context.Context, d Docker, host string) error {
	name := r.plan.AdoptedProxy(host)
	if name == "" {
		return nil
	}
	n, ok := d.(networker)
	if !ok {
		return fmt.Errorf("network %s: %w", planner.ProxyNetwork, ErrNoNetworks)
	}
	if err := n.ConnectNetwork(ctx, planner.ProxyNetwork, name, nil); err != nil {
		return fmt.Errorf("connect Kamal's %s to network %s: %w", name, planner.ProxyNetwork, err)
	}
	return nil
}
