package walk

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// planShaped is a graph shaped like a deploy: a barrier and, per branch,
// pull → create → start (after the barrier) → health → stop_old → prune.
func planShaped(branches int) []Vertex {
	vs := []Vertex{{ID: "barrier"}}
	for i := 0; i < branches; i++ {
		p := fmt.Sprintf("h%d/web/", i)
		vs = append(vs,
			Vertex{ID: p + "pull"},
			Vertex{ID: p + "create", DependsOn: []string{p + "pull"}},
			Vertex{ID: p + "start", DependsOn: []string{p + "create", "barrier"}},
			Vertex{ID: p + "health", DependsOn: []string{p + "start"}},
			Vertex{ID: p + "stop_old", DependsOn: []string{p + "health"}},
			Vertex{ID: p + "prune", DependsOn: []string{p + "stop_old"}})
	}
	return vs
}

// BenchmarkWalk2000Branches walks 12,001 vertices whose steps each take a
// millisecond, 100 at a time: the walker's own work shows as the time
// above 12,001 / 100 ms.
func BenchmarkWalk2000Branches(b *testing.B) {
	vs := planShaped(2000)
	step := func(context.Context, string) error { time.Sleep(time.Millisecond); return nil }
	for b.Loop() {
		if _, err := Walk(context.Background(), vs, step, Options{Parallelism: 100}); err != nil {
			b.Fatal(err)
		}
	}
}
