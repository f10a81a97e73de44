package main

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/planner"
)

// removeNetworks removes the service's network where the plan removed its
// last container, and says so; a network kept is no error.
func (a *app) removeNetworks(ctx context.Context, sess *deploy.Session, p *planner.Plan) {
	for _, n := range sess.RemoveNetworks(ctx, p) {
		if n.Err != nil {
			fmt.Fprintf(a.Err, "Kept the network %s on %s: %v\n", n.Name, n.Host, n.Err)
			continue
		}
		fmt.Fprintf(a.Out, "Removed the network %s on %s (no container of %s is left there)\n", n.Name, n.Host, p.Service)
	}
}
