package deploy

import (
	"context"

	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/planner/drift"
)

// Status is what `berth status` shows: the live state of every host
// against the configuration.
type Status struct {
	Rows   []drift.Row         // one per container (or host that cannot be read)
	States []planner.HostState // the hosts read, departed ones included
	// Unread are the hosts that could not be read, with why (without
	// naming the host again).
	Unread map[string]error
	Routes []ProxyRoute // the service's routes in the hosts' proxies
}

// Status reads every declared host, and the departed hosts still in their
// roster, and compares them with the configuration. An identity that
// cannot be used is an error before any host is read.
func (s *Session) Status(ctx context.Context) (Status, error) {
	if err := s.pool.CheckCredentials(); err != nil {
		return Status{}, err
	}
	cfg := s.Config
	states, unread := s.ReadHosts(ctx)
	gone, goneErrs := s.ReadDeparted(ctx, states)
	declared := states
	states = append(states, gone...)
	s.StartTimes(ctx, states)
	rows := drift.CompareHosts(cfg, states, unread)
	for _, d := range planner.Departed(cfg, declared) {
		if err, ok := goneErrs[d.Name]; ok {
			rows = append(rows, drift.Row{Host: d.Name, State: "unknown", Mark: drift.Unreachable, Unreachable: true,
				Error: err.Error(), Reasons: []string{"left the configuration, still in the roster, and cannot be read: " + err.Error()}})
			unread[d.Name] = err
		}
	}
	return Status{Rows: rows, States: states, Unread: unread, Routes: proxyRoutes(cfg, states)}, nil
}
