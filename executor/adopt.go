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

// joinAdopted connects a new container to the network of the proxy that
// the plan adopted on host (Kamal's network "kamal"), where that proxy
// reaches it. The proxy itself is left alone: connecting it to another
// network would make Docker move its published ports to that network for
// a moment, and refuse connections meanwhile (measured on the lab). It
// does nothing on a host berth's proxy serves.
func (r *run) joinAdopted(ctx context.Context, d Docker, host, id string) error {
	name := r.plan.AdoptedProxy(host)
	if name == "" {
		return nil
	}
	n, ok := d.(networker)
	if !ok {
		return fmt.Errorf("network %s: %w", planner.KamalNetwork, ErrNoNetworks)
	}
	if err := n.ConnectNetwork(ctx, planner.KamalNetwork, id, nil); err != nil {
		return fmt.Errorf("join the new container to network %s of Kamal's %s: %w", planner.KamalNetwork, name, err)
	}
	return nil
}
