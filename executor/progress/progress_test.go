package progress

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/planner"
)

func fixed() time.Time { return time.Date(2026, 11, 30, 8, 1, 2, 345e6, time.UTC) }

func TestLinesAreTimestampedAndNameTheStep(t *testing.T) {
	var b strings.Builder
	l := NewLines(&b, fixed)
	s := planner.Step{ID: "h2/web/health", Kind: planner.StepHealth, Address: planner.Address{Host: "h2", Role: "web"}}
	l.StepStarted(s)
	l.StepFinished(s, graph.Failed, errors.New("did not turn healthy\nmore detail"), 1500*time.Millisecond)
	l.StepFinished(planner.Step{ID: "barrier", Kind: planner.StepBarrier}, graph.Skipped, nil, 0)
	l.StepFinished(planner.Step{ID: "barrier", Kind: planner.StepBarrier}, graph.Failed, errors.New("the barrier's gate failed: x"), 0)
	l.Event(planner.Address{Host: "h3", Role: "worker"}, "removed prepared container")
	got := b.String()
	for _, want := range []string{
		"08:01:02.345  h2/web                       health    started\n",
		"08:01:02.345  h2/web                       health    failed after 1.5s: did not turn healthy\n",
		"barrier                      closed: the primary role did not turn healthy",
		"barrier                      closed: the barrier's gate failed: x",
		"h3/worker                    removed prepared container",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "more detail") {
		t.Error("multi-line errors belong in the final report, not the progress line")
	}
}

func TestLiveRedrawsOneLinePerAddress(t *testing.T) {
	var b strings.Builder
	l := NewLive(&b, fixed)
	a := planner.Address{Host: "h1", Role: "web"}
	l.StepStarted(planner.Step{ID: "h1/web/pull", Kind: planner.StepPull, Address: a})
	l.StepFinished(planner.Step{ID: "h1/web/pull", Kind: planner.StepPull, Address: a}, graph.Succeeded, nil, time.Second)
	l.StepStarted(planner.Step{ID: "h1/web/create", Kind: planner.StepCreate, Address: a})
	out := b.String()
	if strings.Count(out, "\x1b[1A") != 2 {
		t.Fatalf("want the single line redrawn twice, got %q", out)
	}
	last := out[strings.LastIndex(out, "\x1b[2K"):]
	if !strings.Contains(last, "h1/web") || !strings.Contains(last, "create") || !strings.Contains(last, "running") {
		t.Fatalf("last line %q", last)
	}
}

func TestLiveShowsEveryRowFromTheStartAndTheBranchTotal(t *testing.T) {
	var b strings.Builder
	now := fixed()
	l := NewLive(&b, func() time.Time { return now }, "h1/web", "barrier", "h2/web")
	a := planner.Address{Host: "h1", Role: "web"}
	l.StepStarted(planner.Step{ID: "h1/web/pull", Kind: planner.StepPull, Address: a})
	now = now.Add(1500 * time.Millisecond)
	l.StepFinished(planner.Step{ID: "h1/web/prune", Kind: planner.StepPrune, Address: a}, graph.Succeeded, nil, 0)
	out := b.String()
	last := out[strings.LastIndex(out, "\x1b[3A"):]
	lines := strings.Split(strings.TrimSpace(last), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "h1/web") || !strings.Contains(lines[0], "done in 1.5s") ||
		!strings.Contains(lines[1], "barrier") || !strings.Contains(lines[2], "h2/web") || !strings.Contains(lines[2], "waiting") {
		t.Fatalf("rows: %q", lines)
	}
}

// The join between two rolling batches does nothing: neither renderer
// shows it, whatever becomes of it.
func TestBatchJoinIsNotShown(t *testing.T) {
	join := planner.Step{ID: planner.BatchID(1), Kind: planner.StepBatch, Batch: 1}
	var lines, live strings.Builder
	l := NewLines(&lines, fixed)
	v := NewLive(&live, fixed, "h1/web")
	for _, st := range []graph.Status{graph.Succeeded, graph.Skipped, graph.Canceled} {
		l.StepStarted(join)
		l.StepFinished(join, st, nil, 0)
		v.StepStarted(join)
		v.StepFinished(join, st, nil, 0)
	}
	if lines.String() != "" {
		t.Errorf("lines: %q", lines.String())
	}
	v.Tick()
	if strings.Contains(live.String(), "batch") {
		t.Errorf("live: %q", live.String())
	}
}

// slowWriter blocks its first Write until release is closed, and counts
// the writes.
type slowWriter struct {
	mu      sync.Mutex
	b       strings.Builder
	writes  int
	entered chan struct{}
	release chan struct{}
}

func (w *slowWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	first := w.writes == 1
	w.mu.Unlock()
	if first {
		close(w.entered)
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Lines reported while another is being written do not wait for it: the
// caller writing takes them next, in order, in one write.
func TestLinesWhileAWriteIsInProgressJoinIt(t *testing.T) {
	w := &slowWriter{entered: make(chan struct{}), release: make(chan struct{})}
	l := NewLines(w, fixed)
	first := make(chan struct{})
	go func() {
		l.Event(planner.Address{Host: "h1", Role: "web"}, "first")
		close(first)
	}()
	<-w.entered
	others := make(chan struct{})
	go func() {
		for i := range 10 {
			l.Event(planner.Address{Host: fmt.Sprintf("h%d", i+2), Role: "web"}, "next")
		}
		close(others)
	}()
	select {
	case <-others:
	case <-time.After(5 * time.Second):
		close(w.release)
		t.Fatal("lines reported during a write waited for it")
	}
	close(w.release)
	<-first
	if w.writes != 2 {
		t.Errorf("%d writes for 11 lines, want 2 (the first line, then the 10 that came during it)", w.writes)
	}
	lines := strings.Split(strings.TrimSuffix(w.b.String(), "\n"), "\n")
	if len(lines) != 11 || !strings.HasSuffix(lines[0], "first") {
		t.Fatalf("output:\n%s", w.b.String())
	}
	for i, line := range lines[1:] {
		if want := fmt.Sprintf("08:01:02.345  %-28s next", fmt.Sprintf("h%d/web", i+2)); line != want {
			t.Errorf("line %d = %q, want %q", i+2, line, want)
		}
	}
}
