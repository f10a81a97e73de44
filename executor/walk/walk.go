// Package walk runs the vertices of a dependency graph in parallel. It knows
// nothing about Docker or hosts: a vertex is a name and the names it depends
// on, and the caller says what running one means.
//
// A vertex runs once every vertex it depends on has succeeded. When one
// fails, everything that depends on it is skipped, but every branch that
// does not depend on it carries on to its end: the walk never abandons a
// running branch. When the context is cancelled, no new vertex starts and
// the running ones are left to finish (they get a context that is not
// cancelled with it; they can watch the walk's context themselves to cut a
// wait short and clean up). Walk returns once nothing runs any more, with
// the errors of every failed vertex joined.
package walk

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Vertex is one node of the graph.
type Vertex struct {
	ID        string
	DependsOn []string
}

// Status is what became of a vertex.
type Status int

const (
	Pending     Status = iota // never reached (only while walking)
	Succeeded                 // ran and returned nil
	Failed                    // ran and returned an error
	Skipped                   // a dependency failed or was skipped
	Canceled                  // not started because the walk was cancelled
	Interrupted               // started, then ended with an error after the walk was cancelled
)

func (s Status) String() string {
	switch s {
	case Succeeded:
		return "succeeded"
	case Failed:
		return "failed"
	case Skipped:
		return "skipped"
	case Canceled:
		return "canceled"
	case Interrupted:
		return "interrupted"
	}
	return "pending"
}

// Result is the outcome of one vertex.
type Result struct {
	Status  Status
	Err     error
	Elapsed time.Duration
}

// Reporter hears about every vertex as it starts and ends. Calls may come
// from several goroutines at once.
type Reporter interface {
	Started(id string)
	Finished(id string, r Result)
}

// NopReporter ignores everything; embed it to implement only part.
type NopReporter struct{}

func (NopReporter) Started(string)          {}
func (NopReporter) Finished(string, Result) {}

// Options tune a walk.
type Options struct {
	Parallelism int      // vertices running at once; <= 0 means unbounded
	Reporter    Reporter // nil = NopReporter
}

// Error is one failed vertex.
type Error struct {
	ID  string
	Err error
}

func (e *Error) Error() string { return e.ID + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ErrInvalidGraph is returned, before anything runs, for a graph with an
// unknown dependency, a duplicate vertex or a cycle.
var ErrInvalidGraph = errors.New("invalid graph")

// Check verifies that the graph can be walked: unique IDs, known
// dependencies, no cycle.
func Check(vs []Vertex) error {
	_, err := order(vs)
	return err
}

// order returns the vertices in a topological order (stable: among ready
// vertices, the input order wins).
func order(vs []Vertex) ([]int, error) {
	index := make(map[string]int, len(vs))
	for i, v := range vs {
		if _, dup := index[v.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate vertex %q", ErrInvalidGraph, v.ID)
		}
		index[v.ID] = i
	}
	indeg := make([]int, len(vs))
	next := make([][]int, len(vs))
	for i, v := range vs {
		for _, d := range v.DependsOn {
			j, ok := index[d]
			if !ok {
				return nil, fmt.Errorf("%w: %q depends on unknown vertex %q", ErrInvalidGraph, v.ID, d)
			}
			indeg[i]++
			next[j] = append(next[j], i)
		}
	}
	var out []int
	ready := &minHeap{}
	for i := range vs {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, i)
		for _, j := range next[i] {
			if indeg[j]--; indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(out) != len(vs) {
		var stuck []string
		for i := range vs {
			if indeg[i] > 0 {
				stuck = append(stuck, vs[i].ID)
			}
		}
		return nil, fmt.Errorf("%w: cycle among %s", ErrInvalidGraph, strings.Join(stuck, ", "))
	}
	return out, nil
}

// Walk runs fn for every vertex as described in the package comment and
// returns every vertex's result and the joined errors of the failed ones
// (each an *Error). When ctx was cancelled, the error also wraps ctx.Err().
func Walk(ctx context.Context, vs []Vertex, fn func(ctx context.Context, id string) error, opts Options) (map[string]Result, error) {
	topo, err := order(vs)
	if err != nil {
		return nil, err
	}
	rep := opts.Reporter
	if rep == nil {
		rep = NopReporter{}
	}
	par := opts.Parallelism
	if par <= 0 {
		par = len(vs) + 1
	}
	w := &walker{
		vs:        vs,
		fn:        fn,
		rep:       rep,
		status:    make([]Status, len(vs)),
		results:   make(map[string]Result, len(vs)),
		deps:      make([][]int, len(vs)),
		par:       par,
		done:      make(chan int, len(vs)),
		cancelCtx: ctx,
	}
	index := make(map[string]int, len(vs))
	for i, v := range vs {
		index[v.ID] = i
	}
	for i, v := range vs {
		for _, d := range v.DependsOn {
			w.deps[i] = append(w.deps[i], index[d])
		}
	}
	w.run(ctx, topo)
	var errs []error
	for _, i := range topo {
		if r := w.results[vs[i].ID]; r.Status == Failed || r.Status == Interrupted {
			errs = append(errs, &Error{ID: vs[i].ID, Err: r.Err})
		}
	}
	if ctx.Err() != nil && w.canceled {
		errs = append(errs, ctx.Err())
	}
	return w.results, errors.Join(errs...)
}

type walker struct {
	vs       []Vertex
	fn       func(context.Context, string) error
	rep      Reporter
	status   []Status
	deps     [][]int
	par      int // vertices running at once
	done     chan int
	mu       sync.Mutex
	results  map[string]Result
	canceled bool
	// cancelCtx is the walk's own context: once it ends, a step that ends
	// with an error is Interrupted (steps themselves run without its cancel).
	cancelCtx context.Context
}

// run is the scheduler loop: it alone decides what starts, and returns once
// every vertex has a final status.
func (w *walker) run(ctx context.Context, topo []int) {
	started := make([]bool, len(w.vs)) // running, waiting for a slot, or final
	remaining, running := len(w.vs), 0
	runCtx := context.WithoutCancel(ctx)
	cancelled := ctx.Done()
	// Only a vertex whose dependency just finished can change from blocked
	// to ready or doomed: those are the candidates looked at, lowest
	// topological position first, without a pass over every vertex (which
	// made a walk quadratic in its vertices).
	pos := make([]int, len(w.vs))
	for k, i := range topo {
		pos[i] = k
	}
	dependents := make([][]int, len(w.vs))
	for i, ds := range w.deps {
		for _, d := range ds {
			dependents[d] = append(dependents[d], i)
		}
	}
	queued := make([]bool, len(w.vs))
	cands := &minHeap{}
	push := func(i int) {
		if !started[i] && !queued[i] {
			queued[i] = true
			heap.Push(cands, pos[i])
		}
	}
	// Ready vertices wait for a slot here and get one in topological
	// order, so that the first steps in plan order (the primary's, which
	// open the barrier) never queue behind the rest of a big fleet's pulls
	// and creates.
	waiting := &minHeap{}
	final := func(i int, r Result) {
		w.finish(i, r)
		remaining--
		for _, j := range dependents[i] {
			push(j)
		}
	}
	for _, i := range topo {
		push(i)
	}
	for remaining > 0 {
		for cands.Len() > 0 {
			i := topo[heap.Pop(cands).(int)]
			queued[i] = false
			if started[i] {
				continue
			}
			switch w.readiness(i) {
			case blocked:
				continue
			case doomed:
				started[i] = true
				final(i, Result{Status: Skipped})
			case ready:
				started[i] = true
				if ctx.Err() != nil {
					w.canceled = true
					final(i, Result{Status: Canceled})
				} else {
					heap.Push(waiting, pos[i])
				}
			}
		}
		if ctx.Err() != nil && waiting.Len() > 0 { // nothing new starts
			w.canceled = true
			for waiting.Len() > 0 {
				final(topo[heap.Pop(waiting).(int)], Result{Status: Canceled})
			}
			continue
		}
		for running < w.par && waiting.Len() > 0 {
			running++
			go w.exec(runCtx, topo[heap.Pop(waiting).(int)])
		}
		if remaining == 0 || running == 0 {
			return
		}
		select {
		case i := <-w.done:
			running--
			remaining--
			for _, j := range dependents[i] {
				push(j)
			}
		case <-cancelled:
			cancelled = nil // noticed; mark what is ready now as canceled
			for _, i := range topo {
				push(i)
			}
		}
	}
}

// minHeap is a container/heap of ints, smallest first.
type minHeap []int

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type readiness int

const (
	blocked readiness = iota
	ready
	doomed
)

func (w *walker) readiness(i int) readiness {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := ready
	for _, d := range w.deps[i] {
		switch w.status[d] {
		case Succeeded:
		case Failed, Skipped, Canceled, Interrupted:
			return doomed
		default:
			r = blocked
		}
	}
	return r
}

func (w *walker) exec(ctx context.Context, i int) {
	id := w.vs[i].ID
	w.rep.Started(id)
	start := time.Now()
	err := safeCall(ctx, w.fn, id)
	r := Result{Status: Succeeded, Elapsed: time.Since(start)}
	switch {
	case err != nil && w.cancelCtx.Err() != nil:
		r.Status, r.Err = Interrupted, err
	case err != nil:
		r.Status, r.Err = Failed, err
	}
	w.finish(i, r)
	w.done <- i
}

func (w *walker) finish(i int, r Result) {
	w.mu.Lock()
	w.status[i] = r.Status
	w.results[w.vs[i].ID] = r
	w.mu.Unlock()
	w.rep.Finished(w.vs[i].ID, r)
}

// safeCall turns a panic in fn into an error, so that one broken step never
// takes the other branches down with it.
func safeCall(ctx context.Context, fn func(context.Context, string) error, id string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error in step %s: %v", id, p)
		}
	}()
	return fn(ctx, id)
}
