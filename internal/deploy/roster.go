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
// nothing); a host that cannot be written to is a warning. The whole list
// goes to the first roster.Keepers hosts that take it, in plan order
// (primary first); every other host gets a stub naming them, so the bytes
// written grow with the fleet, not with its square.
func (s *Session) writeRoster(ctx context.Context, cfg *lang.Config, p *planner.Plan, done bool) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	hosts := rosterOf(cfg, p, done)
	now := time.Now()
	full, err := roster.EncodeFull(cfg.StateName(), hosts, now)
	if err != nil {
		s.warnf("roster: %v", err)
		return
	}
	digest := roster.Digest(hosts)
	var targets []planner.HostSnapshot
	for _, h := range p.Hosts {
		if !h.Departed {
			targets = append(targets, h)
		}
	}
	byName := make(map[string]planner.RosterHost, len(hosts))
	for _, h := range hosts {
		byName[h.Name] = h
	}
	keepers, rest := s.writeKeepers(wctx, cfg, targets, byName, digest, full)
	if len(rest) == 0 {
		return
	}
	if len(keepers) == 0 {
		s.warnf("roster: no host took the whole roster; the others keep the one they had")
		return
	}
	stub, err := roster.EncodeStub(cfg.StateName(), hosts, keepers, now)
	if err != nil {
		s.warnf("roster: %v", err)
		return
	}
	fanout.Each(wctx, len(rest), 0, func(ctx context.Context, i int) error {
		h := rest[i]
		if have, ok := s.live.Roster(h.Name, cfg.StateName()); ok && have.Digest == digest && (!have.Stub || slices.Equal(have.Keepers, keepers)) {
			return nil // the host has this very roster already (read by the plan)
		}
		s.writeRosterOn(ctx, cfg, h.Name, stub)
		return nil
	})
}

// writeKeepers writes the whole roster on hosts in order until
// roster.Keepers of them took it (or have it already), a round of writes
// at a time; it returns those and the hosts after them.
func (s *Session) writeKeepers(ctx context.Context, cfg *lang.Config, hosts []planner.HostSnapshot, byName map[string]planner.RosterHost, digest string, full []byte) (keepers []planner.RosterHost, rest []planner.HostSnapshot) {
	next := 0
	for len(keepers) < roster.Keepers && next < len(hosts) {
		round := hosts[next:min(next+roster.Keepers-len(keepers), len(hosts))]
		next += len(round)
		ok := make([]bool, len(round))
		fanout.Each(ctx, len(round), 0, func(ctx context.Context, i int) error {
			h := round[i].Name
			if have, seen := s.live.Roster(h, cfg.StateName()); seen && have.Digest == digest && !have.Stub {
				ok[i] = true // it keeps this very list already
				return nil
			}
			ok[i] = s.writeRosterOn(ctx, cfg, h, full)
			return nil
		})
		for i, h := range round {
			if ok[i] {
				keepers = append(keepers, byName[h.Name])
			}
		}
	}
	return keepers, hosts[next:]
}

func (s *Session) writeRosterOn(ctx context.Context, cfg *lang.Config, host string, body []byte) bool {
	conn, err := s.pool.Conn(ctx, host)
	if err == nil {
		err = roster.WriteEncoded(ctx, conn, cfg.StateName(), body)
	}
	if err != nil {
		s.warnf("roster on %s: %v", host, err)
		return false
	}
	return true
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
