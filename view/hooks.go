package view

import (
	"strings"

	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/planner"
)

// PlanSteps are the plan's step lines (StepLines) with its hooks where
// they run: the pre-hook first, post-barrier right after the barrier, the
// post-hooks last. A reviewer sees every hook an apply runs, and which
// file (by digest).
func PlanSteps(p *planner.Plan) []string {
	lines := StepLines(p.Graph)
	if len(p.Hooks) == 0 {
		return lines
	}
	var pre, post, barrier []string
	for _, h := range p.Hooks {
		switch h.Name {
		case hooks.PreApply, hooks.PreRollback, hooks.PrePlan:
			pre = append(pre, hookLine(h))
		case hooks.PostBarrier:
			barrier = append(barrier, hookLine(h))
		default:
			post = append(post, hookLine(h))
		}
	}
	out := append([]string{}, pre...)
	placed := false
	for _, l := range lines {
		out = append(out, l)
		if !placed && strings.HasPrefix(strings.TrimSpace(l), "barrier ") {
			out, placed = append(out, barrier...), true
		}
	}
	if !placed {
		out = append(out, barrier...)
	}
	return append(out, post...)
}

// hookLine is "hook pre-apply  .berth/hooks/pre-apply (sha256:3f2a9c1b04de): runs before ...".
func hookLine(h planner.Hook) string {
	d := strings.TrimPrefix(h.Digest, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return "hook " + h.Name + "  " + h.Path + " (sha256:" + d + "): " + hooks.Describe(h.Name)
}
