package audit

import (
	"context"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/shelltest"
)

func TestAppendReadMerge(t *testing.T) {
	ctx := context.Background()
	h1, h2 := shelltest.New(t), shelltest.New(t)
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for i, e := range []struct {
		sh   shelltest.Shell
		host string
		at   time.Duration
		res  string
	}{{h1, "h1", 0, "started"}, {h2, "h2", time.Second, "started"}, {h1, "h1", 3 * time.Second, "succeeded"}, {h2, "h2", 2 * time.Second, "failed"}} {
		if err := Append(ctx, e.sh, Entry{Time: t0.Add(e.at), Host: e.host, Service: "shop", Who: "alice", Command: "apply", Version: "v2", Result: e.res}); err != nil {
			t.Fatal(i, err)
		}
	}
	a, err := Read(ctx, h1, "shop", 0)
	if err != nil || len(a) != 2 {
		t.Fatalf("h1: %v %v", a, err)
	}
	b, _ := Read(ctx, h2, "shop", 1)
	if len(b) != 1 || b[0].Result != "failed" {
		t.Fatalf("tail of h2: %+v", b)
	}
	m := Merge(a, b)
	if len(m) != 3 || m[0].Result != "started" || m[1].Host != "h2" || m[2].Result != "succeeded" {
		t.Fatalf("merge: %+v", m)
	}
	if none, err := Read(ctx, h1, "blog", 0); err != nil || len(none) != 0 {
		t.Fatalf("unknown service: %v %v", none, err)
	}
}
