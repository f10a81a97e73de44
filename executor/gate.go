package executor

import (
	"context"

	"github.com/berth-sh/berth/planner"
)

// Gate is what the caller runs at the barrier: once, after the primary
// role turned healthy on the primary host and before any other role cuts
// over. The executor knows nothing of what it does.
type Gate interface {
	// Pass returns nil to open the barrier; an error keeps it closed.
	Pass(ctx context.Context) error
}

// GateFunc makes a function a Gate.
type GateFunc func(ctx context.Context) error

// Pass calls f.
func (f GateFunc) Pass(ctx context.Context) error { return f(ctx) }

// barrierID is the ID of the plan's barrier step, "" when it has none.
func barrierID(p *planner.Plan) string {
	for _, s := range p.Graph.Steps {
		if s.Kind == planner.StepBarrier {
			return s.ID
		}
	}
	return ""
}

// openBarrier passes the gate, if any, and says the barrier is open.
func (r *run) openBarrier(ctx context.Context) error {
	if r.opts.Gate != nil {
		if err := r.opts.Gate.Pass(ctx); err != nil {
			return err // the walk names the step: "barrier: ..."
		}
	}
	r.rep.Event(planner.Address{}, "barrier open: the primary role is healthy, other roles may cut over")
	return nil
}
