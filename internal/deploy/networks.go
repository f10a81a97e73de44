package deploy

import (
	"context"
	"slices"

	"github.com/berth-sh/berth/planner"
)

// NetworkOutcome is what became of the service's network on a host after
// a plan removed containers there: Removed, or kept because of Err.
type NetworkOutcome struct {
	Host, Name string
	Removed    bool
	Err        error
}

// RemoveNetworks removes the service's network from every host on which
// the plan removed containers and no container of the service is left (a
// destroy, a host that left the configuration). A host with containers of
// the service left, or that cannot be read, is not reported; a network
// that something else still uses is kept, with Docker's answer as Err.
func (s *Session) RemoveNetworks(ctx context.Context, p *planner.Plan) []NetworkOutcome {
	var hosts []string
	for _, c := range p.Changes {
		if c.Action == planner.ActionRemove && !c.Address.Proxy && !slices.Contains(hosts, c.Address.Host) {
			hosts = append(hosts, c.Address.Host)
		}
	}
	name := s.Config.Network()
	var out []NetworkOutcome
	for _, h := range hosts {
		st, err := s.live.ReadState(ctx, h, s.Config.Service.Name)
		if err != nil || slices.ContainsFunc(st.Containers, func(c planner.Container) bool { return !c.IsProxy() }) {
			continue // the shared proxy is on its own network
		}
		d, err := s.live.Client(ctx, h)
		if err == nil {
			err = d.RemoveNetwork(ctx, name)
		}
		out = append(out, NetworkOutcome{Host: h, Name: name, Removed: err == nil, Err: err})
	}
	return out
}
