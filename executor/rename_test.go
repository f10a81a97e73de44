package executor

import (
	"slices"
	"strings"
	"testing"
)

func TestFailedAccessoryReplaceGivesTheOldContainerItsNameBack(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, withCache(config("v1"), "7"))
	if _, err := apply(t, f, withCache(config("v1"), "unhealthy")); err == nil {
		t.Fatal("the apply of an unhealthy cache succeeded")
	}
	// The old one was renamed aside for the new one, then restored.
	if !f.has("h3 rename shop-cache shop-cache-") {
		t.Fatalf("the old cache was never renamed aside:\n%s", strings.Join(f.events, "\n"))
	}
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-cache", "shop-worker-v1"}) {
		t.Errorf("h3 runs %v, want the old cache under its own name", got)
	}
	// The next apply of the old configuration has nothing to do.
	if p := plan(t, f, withCache(config("v1"), "7")); p.HasChanges() {
		t.Errorf("plan after the failed replace has changes: %+v", p.Changes)
	}
}

func TestFailedRoleReplaceOfTheSameVersionGivesTheNameBack(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("v1")
	cfg.Roles[1].Env = map[string]string{"MODE": "new"} // same version, another config
	f.failStart["h3"] = "v1"
	if _, err := apply(t, f, cfg); err == nil {
		t.Fatal("the apply succeeded although the new worker could not start")
	}
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-worker-v1"}) {
		t.Errorf("h3 runs %v, want shop-worker-v1 under its own name:\n%s", got, strings.Join(f.events, "\n"))
	}
}

// Going back to an accessory's earlier configuration starts its retained
// container again, and gives it back the accessory's own name.
func TestRetainedAccessoryStartedAgainTakesItsName(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, withCache(config("v1"), "7"))
	mustApply(t, f, withCache(config("v1"), "8")) // 7 is renamed aside, kept stopped
	mustApply(t, f, withCache(config("v1"), "7")) // 7 again: the retained one
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-cache", "shop-worker-v1"}) {
		t.Errorf("h3 runs %v, want the cache under its own name", got)
	}
	if p := plan(t, f, withCache(config("v1"), "7")); p.HasChanges() {
		t.Errorf("plan after going back has changes: %+v", p.Changes)
	}
}
