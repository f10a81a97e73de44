package main

import (
	"context"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// planDeps connects the planner to the hosts and the registry of cfg; the
// returned function closes the connections.
func (a *app) planDeps(ctx context.Context, cfg *lang.Config) (planner.Deps, func(), error) {
	conns, err := a.connect(ctx, cfg)
	if err != nil {
		return planner.Deps{}, nil, err
	}
	return planner.Deps{State: conns.live, Digests: conns.registry}, func() { _ = conns.Close() }, nil
}
