package executor

import (
	"testing"

	"github.com/berth-sh/berth/planner"
)

// The clean-up table of the branch type's comment, row by row.
func TestCleanUpActionTable(t *testing.T) {
	running := &planner.Change{Running: &planner.Container{ID: "old"}}
	fresh := &planner.Change{}
	for _, c := range []struct {
		name        string
		change      *planner.Change
		newID       string
		new         newState
		old         oldState
		rollingBack bool
		want        cleanUpAction
	}{
		{"nothing prepared", running, "", newNone, oldServing, false, cleanNothing},
		{"discarded, first deploy", fresh, "n", newDiscarded, oldServing, false, cleanReportDiscard},
		{"discarded, old seen running", running, "n", newDiscarded, oldRunsAgain, false, cleanReportDiscard},
		{"discarded, old not seen", running, "n", newDiscarded, oldStopping, false, cleanDiscard},
		{"prepared behind a closed barrier", running, "n", newPrepared, oldServing, false, cleanDiscard},
		{"started, never healthy", running, "n", newStarted, oldServing, false, cleanDiscard},
		{"started, old stopped first", running, "n", newStarted, oldStopping, false, cleanDiscard},
		{"healthy, stop_old not begun", running, "n", newHealthy, oldServing, false, cleanFinishCutover},
		{"routed, stop_old cut off", running, "n", newRouted, oldStopping, false, cleanFinishCutover},
		{"healthy, cut-over done", running, "n", newHealthy, oldStopped, false, cleanNothing},
		{"healthy, first deploy", fresh, "n", newHealthy, oldServing, false, cleanNothing},
		{"healthy, rollback undoes it", running, "n", newHealthy, oldStopping, true, cleanNothing},
	} {
		b := &branch{change: c.change, newID: c.newID, new: c.new, old: c.old}
		if got := b.cleanUpAction(c.rollingBack); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

func TestStartedOnlyWhatThisApplyStarted(t *testing.T) {
	for _, c := range []struct {
		origin newOrigin
		new    newState
		want   bool
	}{
		{originCreated, newPrepared, false},
		{originCreated, newStarted, true},
		{originCreated, newRouted, true},
		{originRetained, newHealthy, true},
		{originKept, newHealthy, false}, // it ran before this apply: never stopped by a discard
		{originCreated, newDiscarded, false},
	} {
		b := &branch{origin: c.origin, new: c.new}
		if got := b.started(); got != c.want {
			t.Errorf("origin %d, state %d: started %v, want %v", c.origin, c.new, got, c.want)
		}
	}
}
