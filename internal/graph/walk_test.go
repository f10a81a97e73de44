package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func v(id string, deps ...string) Vertex { return Vertex{ID: id, DependsOn: deps} }

type recorder struct {
	NopReporter
	mu    sync.Mutex
	order []string
}

func (r *recorder) Started(id string) {
	r.mu.Lock()
	r.order = append(r.order, id)
	r.mu.Unlock()
}

func statuses(res map[string]Result) string {
	var out []string
	for id, r := range res {
		out = append(out, id+"="+r.Status.String())
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestWalkRunsDependenciesFirst(t *testing.T) {
	g := []Vertex{v("d", "b", "c"), v("b", "a"), v("c", "a"), v("a")}
	rec := &recorder{}
	var mu sync.Mutex
	done := map[string]bool{}
	res, err := Walk(context.Background(), g, func(_ context.Context, id string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, vx := range g {
			if vx.ID == id {
				for _, d := range vx.DependsOn {
					if !done[d] {
						return fmt.Errorf("%s ran before its dependency %s", id, d)
					}
				}
			}
		}
		done[id] = true
		return nil
	}, Options{Reporter: rec})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(res), "a=succeeded b=succeeded c=succeeded d=succeeded"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if rec.order[0] != "a" || rec.order[3] != "d" {
		t.Fatalf("start order %v", rec.order)
	}
}

// A failure skips its dependents but never abandons an independent branch:
// the slow branch runs to its end and the walk waits for it.
func TestWalkFailureSkipsDependentsAndWaitsForOtherBranches(t *testing.T) {
	g := []Vertex{v("fail"), v("after-fail", "fail"), v("slow1"), v("slow2", "slow1")}
	release := make(chan struct{})
	var slowDone atomic.Bool
	res, err := Walk(context.Background(), g, func(_ context.Context, id string) error {
		switch id {
		case "fail":
			defer close(release) // the slow branch only goes on once "fail" has failed
			return errors.New("boom")
		case "slow1":
			<-release
		case "slow2":
			slowDone.Store(true)
		case "after-fail":
			t.Error("a dependent of a failed vertex ran")
		}
		return nil
	}, Options{})
	if !slowDone.Load() {
		t.Fatal("walk returned before the independent branch finished")
	}
	if got, want := statuses(res), "after-fail=skipped fail=failed slow1=succeeded slow2=succeeded"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	var we *Error
	if !errors.As(err, &we) || we.ID != "fail" || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error %v does not name the failed vertex", err)
	}
}

func TestWalkJoinsAllErrors(t *testing.T) {
	g := []Vertex{v("a"), v("b"), v("c")}
	_, err := Walk(context.Background(), g, func(_ context.Context, id string) error {
		if id == "c" {
			return nil
		}
		return errors.New(id + " broke")
	}, Options{})
	if err == nil || !strings.Contains(err.Error(), "a: a broke") || !strings.Contains(err.Error(), "b: b broke") {
		t.Fatalf("want both errors, got %v", err)
	}
}

func TestWalkBoundsParallelism(t *testing.T) {
	const n, bound = 12, 3
	var g []Vertex
	for i := range n {
		g = append(g, v(fmt.Sprint(i)))
	}
	var cur, peak, finished atomic.Int32
	_, err := Walk(context.Background(), g, func(context.Context, string) error {
		c := cur.Add(1)
		defer finished.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		// Hold the slot until the bound is reached (or a deadline passes),
		// so that an unbounded walker would show more than bound at once.
		deadline := time.Now().Add(2 * time.Second)
		for cur.Load() < bound && finished.Load() < n-bound && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return nil
	}, Options{Parallelism: bound})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() != bound {
		t.Fatalf("peak concurrency %d, want %d", peak.Load(), bound)
	}
}

// Cancelling the walk starts nothing new, lets the running vertex finish
// with a context that is not cancelled, and says so in the error.
func TestWalkCancelFinishesRunningStartsNothingNew(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := []Vertex{v("running"), v("next", "running"), v("after", "next")}
	var runningCtxErr error
	res, err := Walk(ctx, g, func(c context.Context, id string) error {
		if id != "running" {
			t.Errorf("%s started after cancellation", id)
		}
		cancel()
		runningCtxErr = c.Err()
		return nil
	}, Options{})
	if runningCtxErr != nil {
		t.Fatalf("running step saw its context cancelled: %v", runningCtxErr)
	}
	if got, want := statuses(res), "after=skipped next=canceled running=succeeded"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v does not wrap context.Canceled", err)
	}
}

func TestWalkStepCutShortByTheCancelIsInterruptedNotFailed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g := []Vertex{v("health"), v("prune", "health")}
	res, err := Walk(ctx, g, func(_ context.Context, id string) error {
		cancel()
		return errors.New("health check: interrupted")
	}, Options{})
	if got, want := statuses(res), "health=interrupted prune=skipped"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if !strings.Contains(fmt.Sprint(err), "health check: interrupted") {
		t.Errorf("the step's error is not reported: %v", err)
	}
}

func TestWalkRejectsInvalidGraphs(t *testing.T) {
	for name, g := range map[string][]Vertex{
		"cycle":     {v("a", "c"), v("b", "a"), v("c", "b"), v("d")},
		"unknown":   {v("a", "nope")},
		"duplicate": {v("a"), v("a")},
	} {
		t.Run(name, func(t *testing.T) {
			ran := false
			_, err := Walk(context.Background(), g, func(context.Context, string) error { ran = true; return nil }, Options{})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("want ErrInvalid, got %v", err)
			}
			if ran {
				t.Fatal("a vertex ran although the graph is invalid")
			}
		})
	}
}

func TestWalkTurnsPanicIntoError(t *testing.T) {
	res, err := Walk(context.Background(), []Vertex{v("p"), v("q")}, func(_ context.Context, id string) error {
		if id == "p" {
			panic("oops")
		}
		return nil
	}, Options{})
	if res["q"].Status != Succeeded || res["p"].Status != Failed || !strings.Contains(err.Error(), "oops") {
		t.Fatalf("got %s / %v", statuses(res), err)
	}
}

// A vertex waits for every dependency, however often it names one, and
// runs once.
func TestWalkWaitsForEveryDependencyAndRunsOnce(t *testing.T) {
	g := []Vertex{v("a"), v("b"), v("join", "a", "b", "a", "b"), v("after", "join", "join")}
	var mu sync.Mutex
	ran := map[string]int{}
	res, err := Walk(context.Background(), g, func(_ context.Context, id string) error {
		mu.Lock()
		defer mu.Unlock()
		if id == "join" && (ran["a"] == 0 || ran["b"] == 0) {
			return fmt.Errorf("join ran before a and b: %v", ran)
		}
		ran[id]++
		return nil
	}, Options{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(res), "a=succeeded after=succeeded b=succeeded join=succeeded"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for id, n := range ran {
		if n != 1 {
			t.Errorf("%s ran %d times", id, n)
		}
	}
}

// A dependent is skipped as soon as one of its dependencies failed, without
// waiting for the others, which still run to their end.
func TestWalkSkipsAtTheFirstFailedDependency(t *testing.T) {
	g := []Vertex{v("fail"), v("slow"), v("join", "slow", "fail")}
	skipped := make(chan struct{})
	rep := &skipWatch{id: "join", skipped: skipped}
	res, err := Walk(context.Background(), g, func(_ context.Context, id string) error {
		switch id {
		case "fail":
			return errors.New("boom")
		case "slow":
			select {
			case <-skipped:
			case <-time.After(5 * time.Second):
				return errors.New("join was not skipped while slow ran")
			}
		case "join":
			t.Error("join ran")
		}
		return nil
	}, Options{Reporter: rep})
	if got, want := statuses(res), "fail=failed join=skipped slow=succeeded"; got != want {
		t.Fatalf("got %s, want %s (%v)", got, want, err)
	}
}

type skipWatch struct {
	NopReporter
	id      string
	skipped chan struct{}
}

func (s *skipWatch) Finished(id string, r Result) {
	if id == s.id && r.Status == Skipped {
		close(s.skipped)
	}
}

// The vertices run on at most Parallelism goroutines, reused for the whole
// walk: a fleet's many thousands of steps do not each start a goroutine
// (and grow its stack again).
func TestWalkReusesItsWorkers(t *testing.T) {
	const n, bound = 200, 3
	var g []Vertex
	for i := range n {
		g = append(g, v(fmt.Sprint(i)))
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	_, err := Walk(context.Background(), g, func(context.Context, string) error {
		buf := make([]byte, 64)
		id, _, _ := strings.Cut(strings.TrimPrefix(string(buf[:runtime.Stack(buf, false)]), "goroutine "), " ")
		mu.Lock()
		seen[id] = true
		mu.Unlock()
		return nil
	}, Options{Parallelism: bound})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) > bound {
		t.Fatalf("%d vertices ran on %d goroutines, want at most %d", n, len(seen), bound)
	}
}
