package live

import (
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

func TestFromKamal(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := func(name string, min int, labels map[string]string) dockerapi.ContainerSummary {
		return dockerapi.ContainerSummary{ID: name + "-id", Name: name, Labels: labels, State: "running", Created: at.Add(time.Duration(min) * time.Minute)}
	}
	role := func(svc, r, dest string) map[string]string {
		return map[string]string{"service": svc, "role": r, "destination": dest}
	}
	list := []dockerapi.ContainerSummary{
		s("shop-web-abc123", 1, role("shop", "web", "")),
		s("shop-web-staging-abc123", 2, role("shop", "web", "staging")),
		s("shop-worker-def456", 3, role("shop", "worker", "")),
		s("shop-db", 4, map[string]string{"service": "shop-db"}),
		s("shop-db-renamed", 5, map[string]string{"service": "shop-db"}), // not the accessory's name
		s("other-web-abc123", 6, role("other", "web", "")),
		s("shop-web-v2", 7, map[string]string{"service": "shop", "role": "web", planner.LabelService: "shop"}), // berth's own
		s("kamal-proxy", 8, nil),
		s("hand-made", 9, map[string]string{"service": "shop", "role": "web"}), // not SERVICE-ROLE-VERSION
	}
	got := FromKamal(Kamal{Service: "shop"}, list)
	want := []struct{ name, role, acc, version string }{
		{"hand-made", "web", "", ""},
		{"shop-db", "", "db", ""},
		{"shop-worker-def456", "worker", "", "def456"},
		{"shop-web-abc123", "web", "", "abc123"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d containers: %+v", len(got), got)
	}
	for i, w := range want {
		c := got[i]
		if c.Name != w.name || c.Role != w.role || c.Accessory != w.acc || c.Version != w.version || c.Takeover != planner.TakeoverKamal {
			t.Errorf("%d: %+v, want %+v", i, c, w)
		}
	}
	staging := FromKamal(Kamal{Service: "shop", Destination: "staging"}, list)
	if len(staging) != 2 || staging[0].Name != "shop-db" || staging[1].Version != "abc123" {
		t.Errorf("destination staging: %+v", staging)
	}
}
