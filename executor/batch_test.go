package executor

import (
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// The join between two rolling batches does nothing but wait: it succeeds
// once the batch before it has finished, and a failure in that batch
// holds every later batch back through it, without an error of its own.
func TestBatchJoinIsANoOpThatHoldsLaterBatches(t *testing.T) {
	f := newFleet("h1", "h2", "h3", "h4")
	cfg := config("v1")
	cfg.Hosts = []lang.Host{{Name: "h1"}, {Name: "h4"}, {Name: "h3"}, {Name: "h2"}}
	cfg.Roles[0].Hosts = []string{"h1", "h4", "h2"}
	cfg.Deploy.Batch = 1 // h1, then h4, then h3, then h2
	mustApply(t, f, cfg)
	cfg.Version = lang.Version{Full: "v2", Short: "v2"}
	f.failStart["h4"] = "v2"
	res, err := apply(t, f, cfg)
	if err == nil || !strings.Contains(err.Error(), "h4/web/start") {
		t.Fatalf("want the failure of h4/web/start, got %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, "batch/") || strings.Contains(msg, "unknown") {
		t.Errorf("the joins show in the error: %v", err)
	}
	for id, want := range map[string]graph.Status{
		planner.BatchID(1): graph.Succeeded, // after h1
		planner.BatchID(2): graph.Skipped,   // after h4, which failed
		planner.BatchID(3): graph.Skipped,
		"h3/worker/start":  graph.Skipped,
		"h2/web/stop_old":  graph.Skipped,
	} {
		if got := res.Steps[id].Status; got != want {
			t.Errorf("%s %v, want %v", id, got, want)
		}
	}
	if got := f.running("h3"); len(got) != 1 || got[0] != "shop-worker-v1" {
		t.Errorf("h3 runs %v", got)
	}
}

// The closed barrier counts the steps it held back, not the joins: as
// many in rolling batches as without.
func TestClosedBarrierDoesNotCountTheJoins(t *testing.T) {
	for _, batch := range []int{0, 1} {
		f := newFleet("h1", "h2", "h3")
		cfg := config("v1")
		cfg.Deploy.Batch = batch
		mustApply(t, f, cfg)
		bad := config("broken")
		bad.Deploy.Batch = batch
		_, err := apply(t, f, bad)
		// h1/web/prune; stop_old, start, health and prune of h2/web and
		// of h3/worker.
		if err == nil || !strings.Contains(err.Error(), "9 waiting steps did not run") {
			t.Errorf("batch %d: got %v", batch, err)
		}
	}
}
