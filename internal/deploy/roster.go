package deploy

import (
	"context"
	"slices"
	"time"

	"github.com/berth-sh/berth/executor/roster"
	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// rosterOf is what an apply of p writes as the service's roster: the
// declared hosts, plus the departed hosts still pending. When done, the
// departed hosts this apply cleaned up are dropped; those it did not read
// (--exclude) stay.
func rosterOf(cfg *lang.Config, p *planner.Plan, done bool) []planner.RosterHost {
	var out []planner.RosterHost
	for _, h := range cfg.Hosts {
		user, port := h.User, h.Port
		if user == "" {
			user = cfg.SSH.User
		}
		if port == 0 {
			port = cfg.SSH.Port
		}
		out = append(out, planner.RosterHost{Name: h.Name, Address: h.Address, User: user, Port: port})
	}
	for _, d := range p.Departed {
		read := slices.ContainsFunc(p.Hosts, func(s planner.HostSnapshot) bool { return s.Departed && s.Name == d.Name })
		if !done || !read {
			out = append(out, d)
		}
	}
	return out
}

// writeRoster writes the roster on every declared host of the plan that
// does not have it already (as the plan read it: a steady fleet writes
// nothing); a host that cannot be written to is a warning.
func (s *Session) writeRoster(ctx context.Context, cfg *lang.Config, p *planner.Plan, done bool) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	// One roster, encoded once, for every host: it lists the whole fleet,
	// and readers parse each distinct one once.
	hosts := rosterOf(cfg, p, done)
	body, err := roster.Encode(cfg.StateName(), hosts, time.Now())
	if err != nil {
		s.warnf("roster: %v", err)
		return
	}
	fanout.Each(wctx, len(p.Hosts), 0, func(ctx context.Context, i int) error {
		h := p.Hosts[i]
		if h.Departed {
			return nil
		}
		if have, ok := s.live.Roster(h.Name, cfg.StateName()); ok && slices.Equal(have, hosts) {
			return nil // the host has this very roster already (read by the plan)
		}
		conn, err := s.pool.Conn(ctx, h.Name)
		if err == nil {
			err = roster.WriteEncoded(ctx, conn, cfg.StateName(), body)
		}
		if err != nil {
			s.warnf("roster on %s: %v", h.Name, err)
		}
		return nil
	})
}

// AddDeparted makes the departed hosts of a saved plan reachable.
func (s *Session) AddDeparted(p *planner.Plan) error {
	for _, h := range p.Hosts {
		if h.Departed {
			if err := s.live.AddHost(planner.RosterHost{Name: h.Name, Address: h.Address, User: h.User, Port: h.Port}); err != nil {
				return err
			}
		}
	}
	return nil
}
