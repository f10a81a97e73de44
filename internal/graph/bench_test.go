package graph

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

// batchShaped is a deploy of hosts × roles branches in rolling batches of
// batch hosts: every first cutover step of batch k waits for every final
// step of batch k-1, directly ((batch × roles)² edges per boundary) or
// through one join vertex (2 × batch × roles).
func batchShaped(hosts, roles, batch int, joined bool) []Vertex {
	vs := []Vertex{{ID: "barrier"}}
	var prev, cur []string
	for h := 0; h < hosts; h++ {
		if h > 0 && h%batch == 0 {
			prev, cur = cur, nil
			if joined {
				j := fmt.Sprintf("batch/%d", h/batch)
				vs = append(vs, Vertex{ID: j, DependsOn: prev})
				prev = []string{j}
			}
		}
		for r := 0; r < roles; r++ {
			p := fmt.Sprintf("h%d/r%d/", h, r)
			vs = append(vs,
				Vertex{ID: p + "pull"},
				Vertex{ID: p + "create", DependsOn: []string{p + "pull"}},
				Vertex{ID: p + "start", DependsOn: append([]string{p + "create", "barrier"}, prev...)},
				Vertex{ID: p + "health", DependsOn: []string{p + "start"}},
				Vertex{ID: p + "stop_old", DependsOn: []string{p + "health"}},
				Vertex{ID: p + "prune", DependsOn: []string{p + "stop_old"}})
			cur = append(cur, p+"prune")
		}
	}
	return vs
}

// BenchmarkWalkBatches walks 1,000 hosts × 5 roles in batches of 100 with
// steps that do nothing, 100 at a time: the walker's own work.
func BenchmarkWalkBatches(b *testing.B) {
	for _, joined := range []bool{false, true} {
		vs := batchShaped(1000, 5, 100, joined)
		b.Run(fmt.Sprintf("joined=%v", joined), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Walk(context.Background(), vs, func(context.Context, string) error { return nil }, Options{Parallelism: 100}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
