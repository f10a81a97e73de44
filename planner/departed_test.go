package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/berth-sh/berth/lang"
)

// withoutH3 is the test configuration after h3 (worker, cache) left it.
func withoutH3(version string) *lang.Config {
	cfg := testConfig(version)
	cfg.Hosts = cfg.Hosts[:2]
	cfg.Roles = cfg.Roles[:1]
	cfg.Accessories = nil
	return cfg
}

func rosterOf(names ...string) []RosterHost {
	all := map[string]RosterHost{
		"h1": {Name: "h1", Address: "10.77.0.11", User: "root", Port: 22},
		"h2": {Name: "h2", Address: "10.77.0.12", User: "root", Port: 22},
		"h3": {Name: "h3", Address: "10.77.0.13", User: "root", Port: 22},
	}
	var out []RosterHost
	for _, n := range names {
		out = append(out, all[n])
	}
	return out
}

func TestDepartedHostIsPlannedAsRemoves(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	hosts.rosters = map[string][]RosterHost{"h1": rosterOf("h1", "h2", "h3"), "h2": rosterOf("h1", "h2", "h3")}
	p := build(t, withoutH3("v1"), hosts, Options{})
	got := summary(p)
	for _, want := range []string{
		"h3/worker remove [host |h3|(left the configuration)]",
		"h3/accessory.cache remove [host |h3|(left the configuration)]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if !slices.Equal(p.Departed, rosterOf("h3")) || len(hosts.added) != 1 || hosts.added[0].Address != "10.77.0.13" {
		t.Errorf("departed %v, added %v", p.Departed, hosts.added)
	}
	last := p.Hosts[len(p.Hosts)-1]
	if last.Name != "h3" || !last.Departed || last.Address != "10.77.0.13" || last.Fingerprint == "" {
		t.Errorf("snapshot %+v", last)
	}
	// The removes go through the graph like any remove, behind the barrier.
	if s, ok := p.Graph.Step("h3/worker/remove"); !ok || !slices.Contains(s.DependsOn, BarrierID) {
		t.Errorf("step %+v %v", s, ok)
	}
}

func TestUnreachableDepartedHostNamesTheWayPast(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	hosts.rosters = map[string][]RosterHost{"h1": rosterOf("h1", "h2", "h3")}
	hosts.errs = map[string]error{"h3": errors.New("dial tcp 10.77.0.13:22: connect: no route to host")}
	_, err := Build(context.Background(), withoutH3("v1"), Deps{State: hosts, Digests: newDigests()}, Options{})
	var de *DepartedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "host h3 (10.77.0.13) left the configuration") || !strings.Contains(err.Error(), "--exclude h3") {
		t.Fatalf("err = %v", err)
	}
	p := build(t, withoutH3("v1"), hosts, Options{Excludes: []string{"h3"}})
	if p.HasChanges() || !slices.Equal(p.Departed, rosterOf("h3")) {
		t.Errorf("with --exclude h3: %s, departed %v", summary(p), p.Departed)
	}
}

func TestRenamedHostIsNotDeparted(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	old := rosterOf("h1", "h2", "h3")
	old[2].Name = "worker-box" // same address as h3
	hosts.rosters = map[string][]RosterHost{"h1": old}
	p := build(t, testConfig("v1"), hosts, Options{})
	if len(p.Departed) != 0 || p.HasChanges() {
		t.Errorf("departed %v, changes %s", p.Departed, summary(p))
	}
}
