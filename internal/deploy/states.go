package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/planner"
)

// ReadStates reads the live containers of the service on every declared
// host at once, in the configuration's host order. A host that cannot be
// read is an error naming it and is left out; the states of the others are
// still returned.
func (s *Session) ReadStates(ctx context.Context) ([]planner.HostState, error) {
	read, unread := s.ReadHosts(ctx)
	var errs []error
	for _, h := range s.Config.Hosts {
		if err, ok := unread[h.Name]; ok {
			errs = append(errs, fmt.Errorf("host %s (%s): %w", h.Name, h.Address, err))
		}
	}
	return read, errors.Join(errs...)
}

// ReadHosts reads the live containers of the service on every declared
// host at once. A host that cannot be read is left out of the states and
// is in unread with why, said without naming the host again.
func (s *Session) ReadHosts(ctx context.Context) (read []planner.HostState, unread map[string]error) {
	cfg := s.Config
	states := make([]planner.HostState, len(cfg.Hosts))
	errs := fanout.Each(ctx, len(cfg.Hosts), 0, func(ctx context.Context, i int) error {
		var err error
		states[i], err = s.ReadState(ctx, cfg.Hosts[i].Name)
		return err
	})
	unread = map[string]error{}
	for i, h := range cfg.Hosts {
		if errs[i] != nil {
			unread[h.Name] = withoutHost(errs[i], h.Name)
			continue
		}
		read = append(read, states[i])
	}
	return read, unread
}

// ReadDeparted reads the hosts that left the configuration but are still
// in the roster of the hosts read; those that cannot be read are in the
// returned map with why.
func (s *Session) ReadDeparted(ctx context.Context, read []planner.HostState) ([]planner.HostState, map[string]error) {
	departed := planner.Departed(s.Config, read)
	states := make([]planner.HostState, len(departed))
	errs := fanout.Each(ctx, len(departed), 0, func(ctx context.Context, i int) error {
		d := departed[i]
		states[i].Host = d.Name
		if err := s.live.AddHost(d); err != nil {
			return err
		}
		var err error
		states[i], err = s.ReadState(ctx, d.Name)
		return err
	})
	var out []planner.HostState
	failed := map[string]error{}
	for i, d := range departed {
		if errs[i] != nil {
			failed[d.Name] = withoutHost(errs[i], d.Name)
			continue
		}
		out = append(out, states[i])
	}
	return out, failed
}

// withoutHost drops the "host NAME (ADDRESS:PORT): " the SSH layer puts in
// front of its errors, for a row that names the host already.
func withoutHost(err error, host string) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "host "+host+": "); ok {
		return errors.New(rest)
	}
	if rest, ok := strings.CutPrefix(msg, "host "+host+" ("); ok {
		if _, after, ok := strings.Cut(rest, "): "); ok {
			return errors.New(after)
		}
	}
	return err
}

// StartTimes fills in when each running container started (the listing
// does not say), for the uptime column. A failure leaves it unknown.
func (s *Session) StartTimes(ctx context.Context, states []planner.HostState) {
	fanout.Each(ctx, len(states), 0, func(ctx context.Context, i int) error {
		d, err := s.live.Client(ctx, states[i].Host)
		if err != nil {
			return nil
		}
		for j := range states[i].Containers {
			c := &states[i].Containers[j]
			if !c.Running() {
				continue
			}
			if info, err := d.Inspect(ctx, c.ID); err == nil {
				c.StartedAt = info.State.StartedAt
			}
		}
		return nil
	})
}
