package chaos

import (
	"slices"
	"testing"
)

func TestScheduleIsAFunctionOfTheSeed(t *testing.T) {
	a, b := Schedule(7, 40), Schedule(7, 40)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave two schedules")
	}
	if !slices.Equal(Schedule(7, 12), a[:12]) {
		t.Error("a shorter run is not a prefix of a longer one")
	}
	if Digest(a) != Digest(b) || Digest(a) == Digest(Schedule(8, 40)) {
		t.Errorf("digests: %s %s %s", Digest(a), Digest(b), Digest(Schedule(8, 40)))
	}
}

func TestScheduleCoversEveryFaultInEachBlock(t *testing.T) {
	n := len(Faults())
	rounds := Schedule(1, 3*n)
	for block := 0; block < 3; block++ {
		seen := map[Fault]bool{}
		for _, r := range rounds[block*n : (block+1)*n] {
			seen[r.Fault] = true
		}
		if len(seen) != n {
			t.Errorf("block %d has %d of %d fault kinds", block, len(seen), n)
		}
	}
}

func TestScheduleRoundsAreWellFormed(t *testing.T) {
	moments := map[string]bool{}
	for _, m := range Moments() {
		moments[m.String()] = true
	}
	prev := ""
	for _, r := range Schedule(3, 400) {
		if prev != "" && r.Start != prev {
			t.Fatalf("%s: starts from %s, the previous round converged to %s", r, r.Start, prev)
		}
		prev = r.Final
		if r.Target == r.Start {
			t.Errorf("%s: deploys the version that runs", r)
		}
		switch r.Fault {
		case BrokenImage:
			if r.Final != r.Start || !slices.Contains([]string{"broken", "unhealthy"}, r.Target) || r.Moment != (Moment{}) {
				t.Errorf("%s: a broken image round must deploy a bad build and converge back", r)
			}
		default:
			if r.Final != r.Target || !moments[r.Moment.String()] {
				t.Errorf("%s: final %s, moment %q", r, r.Final, r.Moment)
			}
		}
		if r.Fault.OnHost() != (r.Host != "") {
			t.Errorf("%s: host %q", r, r.Host)
		}
		if (r.Fault == TwoApplies) != (r.Second != "") || (r.Second != "" && r.Second == r.Target) {
			t.Errorf("%s: second apply %q", r, r.Second)
		}
	}
}

func TestMomentsFollowThePlan(t *testing.T) {
	ms := Moments()
	if got := ms[0].String(); got != "h1/web pull started" {
		t.Errorf("first moment %q", got)
	}
	if got := ms[12].String(); got != "barrier open" {
		t.Errorf("the barrier opens at %q, want after h1/web's steps", got)
	}
	// The worker has no port: it starts its new container before it stops the old one.
	var worker []string
	for _, m := range ms {
		if m.Addr == "h3/worker" && m.Edge == "started" {
			worker = append(worker, m.Step)
		}
	}
	if want := []string{"pull", "create", "start", "health", "stop_old", "prune"}; !slices.Equal(worker, want) {
		t.Errorf("worker steps %v, want %v", worker, want)
	}
	if h := (Moment{Addr: "h2/web", Step: "start", Edge: "done"}).Host(); h != "h2" {
		t.Errorf("host %q", h)
	}
}
