// Package fanout runs one function per host (or any indexed item) at once,
// with an optional bound, and waits for every call: the one per-host
// fan-out that the commands and the planner share. It knows nothing about
// hosts; callers keep their results by index.
package fanout

import (
	"context"
	"sync"
)

// Each calls fn(ctx, i) for every i in [0, n), at most limit at a time (0:
// all at once), and returns when every call has returned. errs[i] is what
// fn returned for i. When ctx ends, calls not yet started get ctx's error
// instead of running.
func Each(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) (errs []error) {
	errs = make([]error, n)
	if n == 0 {
		return errs
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := ctx.Err(); err != nil {
				errs[i] = err
				return
			}
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			errs[i] = fn(ctx, i)
		})
	}
	wg.Wait()
	return errs
}
