package fanout

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachRunsEveryIndexWithinTheLimit(t *testing.T) {
	var running, most atomic.Int32
	seen := make([]atomic.Bool, 20)
	errs := Each(context.Background(), 20, 3, func(_ context.Context, i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond) // hold the slot a moment, so that calls overlap
		seen[i].Store(true)
		if i == 7 {
			return errors.New("seven")
		}
		return nil
	})
	for i := range seen {
		if !seen[i].Load() {
			t.Errorf("index %d never ran", i)
		}
	}
	if most.Load() > 3 {
		t.Errorf("%d calls at once, limit 3", most.Load())
	}
	for i, err := range errs {
		if (i == 7) != (err != nil) {
			t.Errorf("errs[%d] = %v", i, err)
		}
	}
}

func TestEachStartsNothingAfterTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := atomic.Int32{}
	errs := Each(ctx, 5, 1, func(context.Context, int) error { ran.Add(1); return nil })
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errs[%d] = %v", i, err)
		}
	}
	if ran.Load() != 0 {
		t.Errorf("%d calls ran after the context ended", ran.Load())
	}
	if len(Each(context.Background(), 0, 0, nil)) != 0 {
		t.Error("n = 0")
	}
}
