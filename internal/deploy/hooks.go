package deploy

import (
	"context"
	"slices"
	"time"

	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/planner"
)

// runHooks runs the hooks a plan records around and inside its walk: a
// pre-hook before any host changes, post-barrier as the barrier's gate,
// and a post-hook once it ended. Hooks nil runs none.
type runHooks struct {
	runner *hooks.Runner // its output goes to rep, as progress lines
	plan   *planner.Plan
	vars   hooks.Vars
	rep    executor.Reporter
}

func (s *Session) hooksOf(p *planner.Plan, o ExecuteOptions) runHooks {
	v := hooks.Vars{Command: o.Command, Service: p.Service, Version: p.Version, PlanDigest: o.PlanDigest, User: s.env.Who}
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged {
			continue
		}
		if !slices.Contains(v.Hosts, c.Address.Host) {
			v.Hosts = append(v.Hosts, c.Address.Host)
		}
		if c.Address.Role != "" && !slices.Contains(v.Roles, c.Address.Role) {
			v.Roles = append(v.Roles, c.Address.Role)
		}
	}
	rep := o.Reporter
	if rep == nil {
		rep = executor.NopReporter{}
	}
	h := runHooks{plan: p, vars: v, rep: rep}
	if o.Hooks != nil {
		r := *o.Hooks
		r.Line = func(name, line string) { rep.Event(planner.Address{}, "hook "+name+" | "+line) }
		h.runner = &r
	}
	return h
}

// run runs the first of names the plan records; none is nil.
func (h runHooks) run(ctx context.Context, vars hooks.Vars, names ...string) error {
	if h.runner == nil {
		return nil
	}
	for _, n := range names {
		if hk, ok := h.plan.Hook(n); ok {
			h.rep.Event(planner.Address{}, "hook "+hk.Name+": running "+hk.Path)
			start := time.Now()
			if err := h.runner.Run(ctx, hk, vars); err != nil {
				return err
			}
			h.rep.Event(planner.Address{}, "hook "+hk.Name+": done in "+time.Since(start).Round(10*time.Millisecond).String())
			return nil
		}
	}
	return nil
}

// before runs the pre-hook: its failure stops the apply before any host
// changes.
func (h runHooks) before(ctx context.Context) error {
	return h.run(ctx, h.vars, hooks.PreApply, hooks.PreRollback)
}

// gate is the post-barrier hook as the executor's barrier gate, its output
// in the progress lines; nil when the plan has none.
func (h runHooks) gate() executor.Gate {
	if _, ok := h.plan.Hook(hooks.PostBarrier); h.runner == nil || !ok {
		return nil
	}
	return executor.GateFunc(func(ctx context.Context) error { return h.run(ctx, h.vars, hooks.PostBarrier) })
}

// after runs the post-hook for how the apply ended. It runs even after
// Ctrl-C: it is how people hear that an apply was interrupted.
func (h runHooks) after(ctx context.Context, out Outcome) error {
	v := h.vars
	v.Outcome, v.Duration = out.Result, out.Elapsed
	ctx = context.WithoutCancel(ctx)
	if out.Result == Succeeded {
		return h.run(ctx, v, hooks.PostApply, hooks.PostRollback)
	}
	return h.run(ctx, v, hooks.PostFailure, hooks.PostRollback)
}
