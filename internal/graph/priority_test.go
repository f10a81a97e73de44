package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// With fewer slots than ready vertices, the earliest in topological order
// goes first: the primary's next step does not queue behind the fleet.
func TestSlotsGoInTopologicalOrder(t *testing.T) {
	vs := []Vertex{{ID: "p1"}, {ID: "p2", DependsOn: []string{"p1"}}, {ID: "p3", DependsOn: []string{"p2"}}}
	for i := 0; i < 5; i++ {
		vs = append(vs, Vertex{ID: fmt.Sprintf("a%d", i)})
	}
	var mu sync.Mutex
	var ran []string
	fn := func(_ context.Context, id string) error {
		mu.Lock()
		ran = append(ran, id)
		mu.Unlock()
		return nil
	}
	if _, err := Walk(context.Background(), vs, fn, Options{Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	want := []string{"p1", "p2", "p3", "a0", "a1", "a2", "a3", "a4"}
	if !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
}

// A vertex still waiting for a slot when the walk is cancelled never runs.
func TestCancelledWhileWaitingForASlot(t *testing.T) {
	vs := []Vertex{{ID: "a"}, {ID: "b"}, {ID: "c", DependsOn: []string{"b"}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := make(chan struct{})
	var mu sync.Mutex
	var ran []string
	fn := func(ctx context.Context, id string) error {
		mu.Lock()
		ran = append(ran, id)
		mu.Unlock()
		if id == "a" {
			close(running)
			cancel()
		}
		return nil
	}
	res, err := Walk(ctx, vs, fn, Options{Parallelism: 1})
	<-running
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if !slices.Equal(ran, []string{"a"}) {
		t.Errorf("ran %v, want only a", ran)
	}
	if res["a"].Status != Succeeded || res["b"].Status != Canceled || res["c"].Status != Skipped {
		t.Errorf("statuses a=%v b=%v c=%v, want succeeded, canceled, skipped", res["a"].Status, res["b"].Status, res["c"].Status)
	}
}
