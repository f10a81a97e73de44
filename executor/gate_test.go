package executor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGatePassesOnceBetweenPrimaryHealthAndOtherCutovers(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("v2")
	p := plan(t, f, cfg)
	f.mark = len(f.events)
	calls := 0
	gate := GateFunc(func(context.Context) error {
		calls++
		f.mu.Lock()
		f.events = append(f.events, "gate")
		f.mu.Unlock()
		return nil
	})
	if _, err := Apply(context.Background(), p, cfg, f, Options{Poll: 5 * time.Millisecond, Gate: gate}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("gate passed %d times", calls)
	}
	before(t, f, "h1 healthy shop-web-v2", "gate")
	before(t, f, "gate", "h2 stop shop-web-v1")
	before(t, f, "gate", "h3 start shop-worker-v2")
}

func TestFailingGateKeepsTheBarrierClosed(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("v2")
	p := plan(t, f, cfg)
	f.mark = len(f.events)
	gate := GateFunc(func(context.Context) error { return errors.New("migrations failed") })
	res, err := Apply(context.Background(), p, cfg, f, Options{Poll: 5 * time.Millisecond, Gate: gate})
	if !errors.Is(err, ErrBarrierClosed) || !strings.Contains(err.Error(), "h1/web is healthy, but the barrier's gate failed") || !strings.Contains(err.Error(), "barrier: migrations failed") {
		t.Fatalf("err = %v", err)
	}
	if res.BarrierOpen {
		t.Error("barrier reported open")
	}
	// The healthy primary keeps the new version; nothing else cut over.
	for h, want := range map[string][]string{"h1": {"shop-web-v2"}, "h2": {"shop-web-v1"}, "h3": {"shop-worker-v1"}} {
		if got := f.running(h); !slices.Equal(got, want) {
			t.Errorf("%s runs %v, want %v", h, got, want)
		}
	}
	if f.has("h2 stop") || f.has("h3 start shop-worker-v2") {
		t.Fatalf("a role cut over behind a failed gate:\n%s", strings.Join(f.events, "\n"))
	}
}
