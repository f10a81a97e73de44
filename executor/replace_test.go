package executor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/planner"
)

// runningIDs are the IDs of the running containers of a host.
func runningIDs(f *fleet, host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, c := range f.hosts[host].containers {
		if c.state == "running" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestReplaceMakesANewContainerOfTheSameVersion(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	cfg := config("v1")
	cfg.Deploy.Retain = 3
	mustApply(t, f, cfg)
	// Retain the very container too: a replace must not start it again.
	v2 := config("v2")
	v2.Deploy.Retain = 3
	mustApply(t, f, v2)
	mustApply(t, f, cfg)
	h1, h2, h3 := runningIDs(f, "h1"), runningIDs(f, "h2"), runningIDs(f, "h3")

	p, err := planner.Build(context.Background(), cfg, planner.Deps{State: f, Digests: f}, planner.Options{Replace: []string{"h2/web"}})
	if err != nil {
		t.Fatal(err)
	}
	var forced []string
	for _, c := range p.Changes {
		if c.Action != planner.ActionUnchanged {
			forced = append(forced, c.Address.String())
			if !c.Forced || len(c.Reasons) != 1 || c.Reasons[0].New != "replace requested" {
				t.Errorf("%s: %+v", c.Address, c)
			}
		}
	}
	if !slices.Equal(forced, []string{"h2/web"}) {
		t.Fatalf("changes %v, want only h2/web", forced)
	}
	f.mark = len(f.events)
	if _, err := Apply(context.Background(), p, cfg, f, Options{Poll: 5 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(runningIDs(f, "h1"), h1) || !slices.Equal(runningIDs(f, "h3"), h3) {
		t.Error("a container other than h2/web's was replaced")
	}
	now := runningIDs(f, "h2")
	if len(now) != 1 || slices.Equal(now, h2) {
		t.Fatalf("h2 runs %v, before %v: want one new container", now, h2)
	}
	if !f.has("h2 rename shop-web-v1 shop-web-v1-") {
		t.Error("the running container was not renamed out of the way")
	}
	if got := f.running("h2"); !slices.Equal(got, []string{"shop-web-v1"}) {
		t.Errorf("h2 runs %v", got)
	}
	// The old one is kept, stopped, under another name; the next plan is empty.
	if all := strings.Join(f.all("h2"), " "); !strings.Contains(all, "shop-web-v1-") {
		t.Errorf("h2 has %s: the replaced container is not kept", all)
	}
	if p := plan(t, f, cfg); p.HasChanges() {
		t.Errorf("plan after the replace has changes: %+v", p.Changes)
	}
}

func TestReplaceOfANameThatRunsNothingIsRefused(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	_, err := planner.Build(context.Background(), config("v1"), planner.Deps{State: f, Digests: f}, planner.Options{Replace: []string{"h3/web"}})
	if err == nil || !strings.Contains(err.Error(), "--replace h3/web: names no host, role or accessory") {
		t.Fatalf("err = %v", err)
	}
}
