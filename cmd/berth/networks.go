package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// removeNetworks removes the service's network from every host on which
// the plan removed containers and no container of the service is left (a
// destroy, a host that left the configuration). A network that something
// else still uses, or a host that cannot be read, keeps its network: that
// is said, and it is no error.
func (a *app) removeNetworks(ctx context.Context, cfg *lang.Config, conns *connections, p *planner.Plan) {
	var hosts []string
	for _, c := range p.Changes {
		if c.Action == planner.ActionRemove && !c.Address.Proxy && !slices.Contains(hosts, c.Address.Host) {
			hosts = append(hosts, c.Address.Host)
		}
	}
	name := cfg.Network()
	for _, h := range hosts {
		st, err := conns.live.ReadState(ctx, h, cfg.Service.Name)
		if err != nil || len(st.Containers) > 0 {
			continue
		}
		d, err := conns.live.Client(ctx, h)
		if err == nil {
			err = d.RemoveNetwork(ctx, name)
		}
		if err != nil {
			fmt.Fprintf(a.Err, "Kept the network %s on %s: %v\n", name, h, err)
			continue
		}
		fmt.Fprintf(a.Out, "Removed the network %s on %s (no container of %s is left there)\n", name, h, cfg.Service.Name)
	}
}
