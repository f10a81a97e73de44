package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// readStates reads the live containers of the service on every declared
// host at once, in the configuration's host order. A host that cannot be
// read is an error naming it and is left out; the states of the others are
// still returned.
func (a *app) readStates(ctx context.Context, cfg *lang.Config, conns *connections) ([]planner.HostState, error) {
	states := make([]planner.HostState, len(cfg.Hosts))
	errs := fanout.Each(ctx, len(cfg.Hosts), 0, func(ctx context.Context, i int) error {
		h := cfg.Hosts[i]
		st, err := conns.live.ReadState(ctx, h.Name, cfg.Service.Name)
		st.Host = h.Name
		states[i] = st
		if err != nil {
			return fmt.Errorf("host %s (%s): %w", h.Name, h.Address, err)
		}
		return nil
	})
	var read []planner.HostState
	for i, st := range states {
		if errs[i] == nil {
			read = append(read, st)
		}
	}
	return read, errors.Join(errs...)
}
