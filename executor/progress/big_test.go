package progress

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/planner"
)

// A display of more rows than eventRedrawRows is redrawn by Tick, not on
// every step event: the output grows with ticks, not with rows × steps.
func TestLiveBigDisplayRedrawsOnTick(t *testing.T) {
	var b strings.Builder
	var rows []string
	for i := 1; i <= 1000; i++ {
		rows = append(rows, fmt.Sprintf("h%d/web", i))
	}
	l := NewLive(&b, fixed, rows...)
	for i := 1; i <= 1000; i++ {
		s := planner.Step{ID: fmt.Sprintf("h%d/web/pull", i), Kind: planner.StepPull, Address: planner.Address{Host: fmt.Sprintf("h%d", i), Role: "web"}}
		l.StepStarted(s)
		l.StepFinished(s, graph.Succeeded, nil, time.Second)
	}
	if b.Len() != 0 {
		t.Fatalf("2,000 step events drew %d bytes before any tick", b.Len())
	}
	l.Tick()
	out := b.String()
	if n := strings.Count(out, "\n"); n != 1000 {
		t.Errorf("a tick drew %d lines, want 1000", n)
	}
	if !strings.Contains(out, "h1000/web") || !strings.Contains(out, "succeeded in 1s") {
		t.Errorf("the tick does not show the last state:\n%s", out[len(out)-200:])
	}
}
