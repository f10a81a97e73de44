package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// readStates reads the live containers of the service on every declared
// host at once, in the configuration's host order. A host that cannot be
// read is an error naming it and is left out; the states of the others are
// still returned.
func (a *app) readStates(ctx context.Context, cfg *lang.Config, conns *connections) ([]planner.HostState, error) {
	states := make([]planner.HostState, len(cfg.Hosts))
	errs := make([]error, len(cfg.Hosts))
	var wg sync.WaitGroup
	for i, h := range cfg.Hosts {
		wg.Go(func() {
			st, err := conns.live.ReadState(ctx, h.Name, cfg.Service.Name)
			if err != nil {
				errs[i] = fmt.Errorf("host %s (%s): %w", h.Name, h.Address, err)
			}
			st.Host = h.Name
			states[i] = st
		})
	}
	wg.Wait()
	var read []planner.HostState
	for i, st := range states {
		if errs[i] == nil {
			read = append(read, st)
		}
	}
	return read, errors.Join(errs...)
}
