//go:build e2e

package chaos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-sh/berth/test/e2e"
)

// roundState is what a round's checks need to know about its applies.
type roundState struct {
	apply, second *proc
	killed        bool // the apply got SIGKILL
	signalled     bool // the apply got SIGINT or SIGTERM
	sequential    bool // two-applies: the second ran after the first had ended
}

// round runs one round: the faulty apply, the restore, the checks, the
// converging apply and its checks.
func (h *harness) round(ctx context.Context, r Round) (res Result) {
	t0 := time.Now()
	res.Round = r
	h.takeOutputs()
	defer func() {
		res.Took = time.Since(t0)
		res.Outputs = h.takeOutputs()
		for _, s := range CheckSecrets(res.Outputs, h.secrets) {
			res.Violations = append(res.Violations, Violation{InvSecrets, s})
		}
	}()
	if err := waitRegistry(ctx); err != nil {
		res.Error = err.Error()
		return res
	}
	st, err := h.faultyApply(ctx, r, &res)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if err := h.waitHosts(ctx); err != nil {
		res.Error = err.Error()
		return res
	}
	h.checkAfterFault(ctx, r, st, &res)
	if ctx.Err() != nil {
		res.Error = "interrupted"
		return res
	}
	h.converge(ctx, r, &res)
	return res
}

// faultyApply runs the round's apply, fires the fault at its moment,
// restores it after its hold (or when the apply ends) and waits for the
// apply (and a second one) to end.
func (h *harness) faultyApply(ctx context.Context, r Round, res *Result) (roundState, error) {
	var st roundState
	apply, err := h.start("apply", "apply", "--auto-approve", "--var", "version="+r.Target)
	if err != nil {
		return st, err
	}
	st.apply = apply
	var (
		restore  func(context.Context) error
		firedAt  time.Time
		holdDone <-chan time.Time
		lines    = apply.lines
		deadline = time.After(berthDeadline)
	)
	doRestore := func() error {
		if restore == nil {
			return nil
		}
		err := restore(ctx)
		restore = nil
		res.Outage = time.Since(firedAt)
		return err
	}
	defer func() {
		// Whatever happened, the fault does not outlive the round.
		if err := doRestore(); err != nil && res.Error == "" {
			res.Error = err.Error()
		}
	}()
	if r.Fault == BrokenImage {
		res.Fired, firedAt = true, apply.started
	}
	ended := false
	for !ended {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			m, isStep := ParseLine(line)
			if res.Fired && isStep && r.Fault != BrokenImage {
				res.After = appendMoment(res.After, m)
			}
			if res.Fired || !isStep || m != r.Moment {
				continue
			}
			firedAt = time.Now()
			res.Fired, res.FiredAfter = true, firedAt.Sub(apply.started)
			switch r.Fault {
			case TwoApplies:
				if st.second, err = h.start("second apply", "apply", "--auto-approve", "--var", "version="+r.Second); err != nil {
					return st, err
				}
			default:
				if restore, err = h.fire(r, apply); err != nil {
					return st, fmt.Errorf("fire %s: %w", r.Fault, err)
				}
			}
			st.killed = st.killed || r.Fault == KillBerth
			st.signalled = r.Fault == SigintBerth || r.Fault == SigtermBerth
			if restore != nil && r.Hold >= 0 {
				holdDone = time.After(r.Hold)
			}
		case <-holdDone:
			holdDone = nil
			if err := doRestore(); err != nil {
				return st, err
			}
		case <-apply.done:
			ended = true
		case <-deadline:
			_ = apply.cmd.Process.Kill()
			<-apply.done
			res.Violations = append(res.Violations, Violation{InvApplyEnds, fmt.Sprintf("the apply did not end within %s (killed)", berthDeadline)})
			st.killed = true // by the harness: the lock it holds is no further violation
			ended = true
		case <-ctx.Done():
			_ = apply.cmd.Process.Kill()
			<-apply.done
			return st, ctx.Err()
		}
	}
	if lines != nil {
		for line := range lines { // what berth printed after the loop stopped reading
			if m, ok := ParseLine(line); ok && res.Fired && r.Fault != BrokenImage {
				res.After = appendMoment(res.After, m)
			}
		}
	}
	res.ApplyExit = apply.exit
	if err := doRestore(); err != nil {
		return st, err
	}
	if st.second != nil {
		code, ok := st.second.wait(ctx, berthDeadline)
		res.SecondExit = code
		if !ok {
			res.Violations = append(res.Violations, Violation{InvApplyEnds, fmt.Sprintf("the second apply did not end within %s (killed)", berthDeadline)})
		}
	}
	return st, nil
}

// settledPlan reads the hosts, plans version, and reads the hosts again,
// until both reads agree: the plan then saw what the harness saw, even if
// a Docker call a dead berth had sent was still finishing.
func (h *harness) settledPlan(ctx context.Context, version string) (View, PlanResult, error) {
	var (
		before, after View
		p             PlanResult
		err           error
	)
	for attempt := 0; attempt < 5; attempt++ {
		if before, err = h.view(); err != nil {
			return nil, p, err
		}
		if p, _, err = h.plan(ctx, version); err != nil {
			return before, p, err
		}
		if after, err = h.view(); err != nil {
			return nil, p, err
		}
		if before.Equal(after) {
			return after, p, nil
		}
		time.Sleep(time.Second)
	}
	return after, p, fmt.Errorf("the hosts' containers kept changing while the harness planned")
}

// checkAfterFault checks the invariants once the apply has ended and the
// fault is restored.
func (h *harness) checkAfterFault(ctx context.Context, r Round, st roundState, res *Result) {
	add := func(inv, seen string) {
		res.Violations = append(res.Violations, Violation{inv, Redact(seen, h.secrets)})
	}
	applyOut := st.apply.output()

	// Exit codes.
	switch {
	case st.signalled && res.ApplyExit != 130 && res.ApplyExit != 0:
		add(InvApplyEnds, fmt.Sprintf("an interrupted apply exited %d, want 130: %s", res.ApplyExit, firstLine(applyOut.Stderr)))
	case r.Fault == BrokenImage && res.ApplyExit == 0:
		add(InvApplyClaims, fmt.Sprintf("the apply of the %s build exited 0", r.Target))
	}

	// Two applies at once.
	allowed := []string{r.Start, r.Target}
	if r.Fault == BrokenImage {
		allowed = []string{r.Start}
	}
	claimed := r.Target // what an apply that exits 0 must have left everywhere
	if s := st.second; s != nil {
		out := s.output()
		first, firstEnd := s.firstStep, st.apply.exitedAt
		switch {
		case !first.IsZero() && first.Before(firstEnd):
			add(InvOneApply, fmt.Sprintf("the second apply (%s) ran steps from +%.2fs while the first ran until +%.2fs", r.Second,
				first.Sub(st.apply.started).Seconds(), firstEnd.Sub(st.apply.started).Seconds()))
		case res.SecondExit == 0:
			st.sequential = true
			allowed = append(allowed, r.Second)
			claimed = r.Second
			res.Notes = append(res.Notes, "the second apply ran after the first had ended")
		case !strings.Contains(out.Stderr, "lock"):
			res.Notes = append(res.Notes, "the second apply failed without naming the lock: "+Redact(firstLine(out.Stderr), h.secrets))
		}
	}

	// The lock.
	lock, lo := h.lockStatus(ctx)
	for _, s := range CheckLock(lock, st.killed, applyOut.Stderr) {
		add(InvLock, s+": "+firstLine(lo.Stdout+lo.Stderr))
	}
	if lock == Locked {
		if err := h.releaseLock(ctx); err != nil {
			add(InvLock, err.Error())
		}
	}

	// What runs, and what the plan says about it.
	v, plan, err := h.settledPlan(ctx, r.Final)
	if err != nil {
		if v == nil {
			res.Error = err.Error()
			return
		}
		add(InvPlanHonest, fmt.Sprintf("plan for %s after the round: %v", r.Final, err))
	} else {
		for _, s := range CheckPlanHonest(v, r.Final, plan) {
			add(InvPlanHonest, s)
		}
	}
	strict, why := Strict(r, res.Fired)
	res.Strict = strict
	for _, s := range CheckOneRunning(v, allowed...) {
		if strict {
			add(InvOneRunning, s)
		} else {
			res.Notes = append(res.Notes, s+" ("+why+")")
		}
	}
	if res.ApplyExit == 0 && !(res.Fired && r.Fault == KillDockerd) {
		for _, s := range CheckExact(v, claimed) {
			add(InvApplyClaims, "the apply exited 0 but "+s)
		}
	}
	// The web answers wherever one web container runs.
	for _, host := range WebHosts() {
		if len(v.Running(Slot{host, "web"})) != 1 {
			continue
		}
		if err := h.webAnswers(ctx, host, allowed...); err != nil {
			if strict {
				add(InvWebAnswers, err.Error())
			} else {
				res.Notes = append(res.Notes, err.Error()+" ("+why+")")
			}
		}
	}
}

// converge applies the round's final version once and checks that
// nothing is left to do.
func (h *harness) converge(ctx context.Context, r Round, res *Result) {
	bad := 0
	add := func(inv, seen string) {
		bad++
		res.Violations = append(res.Violations, Violation{inv, Redact(seen, h.secrets)})
	}
	o, code := h.apply(ctx, "converging apply", r.Final)
	if code != 0 && (!registryUp() || strings.Contains(o.Stderr, e2e.Registry+": connect: connection refused")) {
		res.Error = "the lab's registry stopped answering during the round (another test run may have stopped it)"
		return
	}
	if code != 0 {
		add(InvConverges, fmt.Sprintf("the converging apply of %s exited %d: %s", r.Final, code, lastLines(o.Stderr, 2)))
	}
	v, plan, err := h.settledPlan(ctx, r.Final)
	switch {
	case err != nil && v == nil:
		res.Error = err.Error()
		return
	case err != nil:
		add(InvConverges, fmt.Sprintf("plan after the converging apply: %v", err))
	case plan.Exit != 0:
		var cs []string
		for _, slot := range sortedKeys(plan.Changed) {
			cs = append(cs, slot+" "+plan.Changed[slot])
		}
		add(InvConverges, fmt.Sprintf("the plan after the converging apply is not empty: %s", strings.Join(cs, ", ")))
	}
	for _, s := range CheckExact(v, r.Final) {
		add(InvConverges, "after the converging apply "+s)
	}
	for _, host := range WebHosts() {
		if err := h.webAnswers(ctx, host, r.Final); err != nil {
			add(InvConverges, "after the converging apply "+err.Error())
		}
	}
	if st, lo := h.lockStatus(ctx); st != Unlocked {
		add(InvLock, "after the converging apply: "+firstLine(lo.Stdout+lo.Stderr))
	}
	if bad == 0 {
		return
	}
	// Start the next round from a known state.
	if err := h.reset(ctx, r.Final); err != nil {
		res.Error = "reset after a round that did not converge: " + err.Error()
	} else {
		res.Notes = append(res.Notes, "the harness removed the service's containers and deployed "+r.Final+" afresh")
	}
}

// appendMoment keeps the first few moments berth printed after the fault.
func appendMoment(after []string, m Moment) []string {
	if len(after) >= 6 {
		return after
	}
	return append(after, m.String())
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " ⏎ ")
}
