package graph

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is what became of a vertex in a walk.
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
// from several goroutines at once. A vertex's Finished comes before any of
// its dependents starts.
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

// Walk runs fn for every vertex as described in the package comment and
// returns every vertex's result and the joined errors of the failed and
// interrupted ones (each an *Error), in topological order. When ctx was
// cancelled before every vertex started, the error also wraps ctx.Err().
// An invalid graph runs nothing: the results are nil and the error an
// *InvalidError.
func Walk(ctx context.Context, vs []Vertex, fn func(ctx context.Context, id string) error, opts Options) (map[string]Result, error) {
	ix, err := build(vs)
	if err != nil {
		return nil, err
	}
	w := newWalker(ctx, vs, ix, fn, opts)
	w.run(ctx)
	var errs []error
	for _, i := range ix.order {
		if r := w.results[vs[i].ID]; r.Status == Failed || r.Status == Interrupted {
			errs = append(errs, &Error{ID: vs[i].ID, Err: r.Err})
		}
	}
	if w.canceled {
		errs = append(errs, ctx.Err())
	}
	return w.results, errors.Join(errs...)
}

// walker is the state of one walk. Only the scheduler loop (run) changes
// it; the vertices' goroutines hand their results back on done.
type walker struct {
	vs  []Vertex
	ix  *indexed
	fn  func(context.Context, string) error
	rep Reporter
	par int // vertices running at once

	pos     []int  // topological position of each vertex
	taken   []bool // waiting for a slot, running, or has its result
	doomed  []bool // a dependency failed, was skipped or canceled
	queued  []bool // in cands
	cands   minHeap
	waiting minHeap // ready, by topological position, waiting for a slot
	results map[string]Result

	remaining, running int
	workers            int // goroutines that run vertices (see start)
	done               chan ended
	canceled           bool // a vertex was not started because of the cancel
	// cancelCtx is the walk's own context: once it ends, a vertex that
	// ends with an error is Interrupted (vertices run without its cancel).
	cancelCtx context.Context
}

// ended is a vertex's result, sent by the goroutine that ran it.
type ended struct {
	i int
	r Result
}

func newWalker(ctx context.Context, vs []Vertex, ix *indexed, fn func(context.Context, string) error, opts Options) *walker {
	w := &walker{
		vs: vs, ix: ix, fn: fn, rep: opts.Reporter, par: opts.Parallelism,
		pos:       make([]int, len(vs)),
		taken:     make([]bool, len(vs)),
		doomed:    make([]bool, len(vs)),
		queued:    make([]bool, len(vs)),
		results:   make(map[string]Result, len(vs)),
		remaining: len(vs),
		done:      make(chan ended, len(vs)),
		cancelCtx: ctx,
	}
	if w.rep == nil {
		w.rep = NopReporter{}
	}
	if w.par <= 0 {
		w.par = len(vs) + 1
	}
	for k, i := range ix.order {
		w.pos[i] = k
	}
	for i, n := range ix.unmet {
		if n == 0 {
			w.push(i)
		}
	}
	return w
}

// push makes vertex i a candidate: it just became ready or doomed.
func (w *walker) push(i int) {
	if !w.taken[i] && !w.queued[i] {
		w.queued[i] = true
		heap.Push(&w.cands, w.pos[i])
	}
}

// run is the scheduler loop: it alone decides what starts, and returns once
// every vertex has a final status.
func (w *walker) run(ctx context.Context) {
	runCtx := context.WithoutCancel(ctx)
	cancelled := ctx.Done()
	jobs := make(chan int)
	defer close(jobs)
	for w.remaining > 0 {
		w.decide(ctx)
		if ctx.Err() != nil && w.waiting.Len() > 0 { // nothing new starts
			for w.waiting.Len() > 0 {
				w.cancel(w.ix.order[heap.Pop(&w.waiting).(int)])
			}
			continue
		}
		for w.running < w.par && w.waiting.Len() > 0 {
			w.start(runCtx, jobs, w.ix.order[heap.Pop(&w.waiting).(int)])
		}
		if w.remaining == 0 || w.running == 0 {
			return
		}
		select {
		case e := <-w.done:
			w.running--
			w.record(e.i, e.r)
		case <-cancelled:
			cancelled = nil // noticed: what is waiting is canceled above
		}
	}
}

// start hands vertex i to a worker. The workers (at most par) live for
// the whole walk, so a big fleet's thousands of steps do not each start a
// goroutine and grow its stack again. There is always one free: every
// worker not running a vertex counted in running waits on jobs (done is
// buffered for every vertex, so none waits to report).
func (w *walker) start(ctx context.Context, jobs chan int, i int) {
	w.running++
	if w.workers < w.running {
		w.workers++
		go func() {
			for j := range jobs {
				w.exec(ctx, j)
			}
		}()
	}
	jobs <- i
}

// decide settles the candidates, lowest topological position first: a
// doomed one is skipped, a ready one waits for a slot (or is canceled).
func (w *walker) decide(ctx context.Context) {
	for w.cands.Len() > 0 {
		i := w.ix.order[heap.Pop(&w.cands).(int)]
		w.queued[i] = false
		switch {
		case w.taken[i]:
		case w.doomed[i]:
			w.rep.Finished(w.vs[i].ID, Result{Status: Skipped})
			w.record(i, Result{Status: Skipped})
		case ctx.Err() != nil:
			w.cancel(i)
		default:
			w.taken[i] = true
			heap.Push(&w.waiting, w.pos[i])
		}
	}
}

func (w *walker) cancel(i int) {
	w.canceled = true
	w.rep.Finished(w.vs[i].ID, Result{Status: Canceled})
	w.record(i, Result{Status: Canceled})
}

// record keeps vertex i's result and updates its dependents: one fewer
// unmet dependency, or doomed.
func (w *walker) record(i int, r Result) {
	w.taken[i] = true
	w.results[w.vs[i].ID] = r
	w.remaining--
	for _, j := range w.ix.dependents(i) {
		if r.Status != Succeeded {
			w.doomed[j] = true
			w.push(j)
		} else if w.ix.unmet[j]--; w.ix.unmet[j] == 0 {
			w.push(j)
		}
	}
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
	w.rep.Finished(id, r)
	w.done <- ended{i, r}
}

// safeCall turns a panic in fn into an error, so that one broken vertex
// never takes the other branches down with it.
func safeCall(ctx context.Context, fn func(context.Context, string) error, id string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	return fn(ctx, id)
}
