package executor

import (
	"time"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/planner"
)

// Reporter hears about an apply's progress. Calls come from several
// goroutines at once.
type Reporter interface {
	StepStarted(s planner.Step)
	StepFinished(s planner.Step, status graph.Status, err error, elapsed time.Duration)
	// Event is something worth saying that is not a step: the barrier
	// opening, a clean-up, a rollback. addr is zero for the whole apply.
	Event(addr planner.Address, msg string)
}

// NopReporter ignores everything; embed it to implement part of Reporter.
type NopReporter struct{}

func (NopReporter) StepStarted(planner.Step)                                      {}
func (NopReporter) StepFinished(planner.Step, graph.Status, error, time.Duration) {}
func (NopReporter) Event(planner.Address, string)                                 {}

// stepReporter adapts the walker's reports to the apply's Reporter.
type stepReporter struct{ r *run }

func (s stepReporter) Started(id string) { s.r.rep.StepStarted(s.r.steps[id]) }
func (s stepReporter) Finished(id string, res graph.Result) {
	step := s.r.steps[id]
	if step.Kind == planner.StepBarrier && res.Status == graph.Skipped && s.r.interrupt.Err() != nil {
		// Its opener was cut short by Ctrl-C: it did not fail.
		res.Status = graph.Canceled
	}
	s.r.rep.StepFinished(step, res.Status, res.Err, res.Elapsed)
}
