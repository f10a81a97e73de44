package executor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// startByHand runs a container of role on host the way a person or a
// half-finished apply would leave it: with the role's labels, running.
func startByHand(t *testing.T, f *fleet, host, version, role string) {
	t.Helper()
	cfg := config(version)
	p := plan(t, f, cfg)
	for _, c := range p.Changes {
		if c.Address.Host == host && c.Address.Role == role && c.Desired != nil {
			d, _ := f.Docker(context.Background(), host)
			id, err := d.Create(context.Background(), c.Desired.Name+"-byhand", toCreate(c.Desired))
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Start(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no change for %s/%s", host, role)
}

func TestSecondRunningContainerIsStoppedByTheNextApply(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v2"))
	startByHand(t, f, "h3", "v1", "worker")
	if got := f.running("h3"); len(got) != 2 {
		t.Fatalf("h3 runs %v", got)
	}
	p := plan(t, f, config("v2"))
	if !p.HasChanges() {
		t.Fatal("the plan sees no change with two workers running")
	}
	mustApply(t, f, config("v2"))
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-worker-v2"}) {
		t.Errorf("h3 runs %v, want only shop-worker-v2", got)
	}
	// Stopped, not removed: kept like any old container.
	if got := f.all("h3"); !slices.Contains(got, "shop-worker-v1-byhand:exited") {
		t.Errorf("h3 has %v", got)
	}
}

func TestSecondRunningContainerOfAnotherVersionOnANewDeploy(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	startByHand(t, f, "h3", "v3", "worker")
	mustApply(t, f, config("v2"))
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-worker-v2"}) {
		t.Errorf("h3 runs %v, want only shop-worker-v2", got)
	}
}

func TestLostStopReplyBringsTheOldContainerBack(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("v2")
	f.failStart["h2"] = "v2" // h2's new container cannot start ...
	f.lose["h2 stop"] = true // ... after a stop_old whose reply was lost (the old one did stop)
	res, err := apply(t, f, cfg)
	if err == nil {
		t.Fatal("apply succeeded")
	}
	if got := f.running("h2"); !slices.Equal(got, []string{"shop-web-v1"}) {
		t.Errorf("h2 runs %v, want the old shop-web-v1 serving again", got)
	}
	_ = res
}

// A stop_old whose connection dropped, on a host that answers a new dial,
// is run again over the new connection: the apply succeeds.
func TestStopOldAfterADroppedConnectionIsRunAgain(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.lose["h2 stop"] = true
	res, err := apply(t, f, config("v2"))
	if err != nil {
		t.Fatalf("apply failed although h2 answered a new dial: %v", err)
	}
	if got := f.running("h2"); !slices.Equal(got, []string{"shop-web-v2"}) {
		t.Errorf("h2 runs %v, want only shop-web-v2", got)
	}
	if len(res.Discarded) != 0 {
		t.Errorf("discarded %v", res.Discarded)
	}
	for _, c := range plan(t, f, config("v2")).Changes {
		if c.Action != planner.ActionUnchanged {
			t.Errorf("the next plan has %s %s", c.Action, c.Address)
		}
	}
}

// A start whose connection dropped before the daemon acted on it (the
// container is still "created" when berth looks over a new connection)
// is started again, once, and the apply goes through.
func TestStartDroppedBeforeItTookEffectIsStartedAgain(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.drop["h2 start"] = true
	res, err := apply(t, f, config("v2"))
	if err != nil {
		t.Fatalf("apply failed although the start never reached h2 and h2 answered a new dial: %v", err)
	}
	if got := f.running("h2"); !slices.Equal(got, []string{"shop-web-v2"}) {
		t.Errorf("h2 runs %v, want only shop-web-v2", got)
	}
	if len(res.Discarded) != 0 {
		t.Errorf("discarded %v", res.Discarded)
	}
}

// A stop_old whose reply was lost with the link (the host does not answer
// the next dial) fails the step; the clean-up sees it through.
func TestLostStopReplyOnCutoverIsSeenThrough(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.lose["h2 stop"] = true
	f.cutOnLoss = 1
	res, err := apply(t, f, config("v2"))
	if err == nil {
		t.Fatalf("apply succeeded although a reply was lost")
	}
	if got := f.running("h2"); len(got) != 1 {
		t.Errorf("h2 runs %v, want exactly one container", got)
	}
	for _, a := range res.Discarded {
		if a.String() == "h2/web" && !slices.Equal(f.running("h2"), []string{"shop-web-v1"}) {
			t.Errorf("h2/web reported as discarded (the old one serves) but h2 runs %v", f.running("h2"))
		}
	}
	if p := plan(t, f, config("v2")); !slices.ContainsFunc(p.Changes, func(c planner.Change) bool {
		return c.Address.String() == "h2/web" && c.Action == planner.ActionReplace
	}) {
		t.Errorf("the next plan does not show h2/web: %+v", p.Changes)
	}
	mustApply(t, f, config("v2"))
}

// A start whose reply was lost, on a host that still answers: berth looks,
// sees the new container run, and goes on.
func TestLostStartReplyConfirmedByTheHostGoesOn(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.lose["h1 start"] = true // the new container did start; its reply was lost
	res, err := apply(t, f, config("v2"))
	if err != nil {
		t.Fatalf("apply failed: %v", err)
	}
	if got := f.running("h1"); !slices.Equal(got, []string{"shop-web-v2"}) {
		t.Errorf("h1 runs %v, want shop-web-v2", got)
	}
	if !res.BarrierOpen {
		t.Error("the barrier did not open")
	}
}

// A start whose reply was lost on a host that is cut off at that moment:
// nothing confirms the new container, so the barrier closes and the old
// one serves.
func TestLostStartReplyOfThePrimaryLeavesTheOldOneServing(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.failStart["h1"] = "none"
	f.cutOnLoss = 1           // the link went with the reply, for the next dial: nothing confirms the start
	f.lose["h1 start"] = true // the new container did start; its reply was lost
	_, err := apply(t, f, config("v2"))
	if err == nil {
		t.Fatal("apply succeeded")
	}
	if got := f.running("h1"); !slices.Equal(got, []string{"shop-web-v1"}) {
		t.Errorf("h1 runs %v, want the old shop-web-v1 (the new one was never confirmed)", got)
	}
	for _, h := range []string{"h2", "h3"} {
		if f.has(h+" start shop-") && slices.ContainsFunc(f.running(h), func(n string) bool { return strings.HasSuffix(n, "-v2") }) {
			t.Errorf("%s runs v2 although the barrier closed: %v", h, f.running(h))
		}
	}
}

func TestStopIsGracefulAndAKillIsAWarning(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	cfg := config("v1")
	mustApply(t, f, cfg)
	f.ignoreTerm = "shop-worker-v1"
	next := config("v2")
	next.Roles[1].Stop.Timeout = 50 * time.Millisecond
	next.Roles[1].Stop.Signal = "SIGINT"
	f.mark = len(f.events)
	res, err := Apply(context.Background(), plan(t, f, next), next, f, Options{Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	before(t, f, "h3 ignore SIGINT shop-worker-v1", "h3 kill shop-worker-v1")
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), "h3/worker: shop-worker-v1 did not stop within its stop_timeout of 50ms after SIGINT and was killed") {
		t.Errorf("warnings = %v", res.Warnings)
	}
	// The web containers stopped on their signal: no warning for them.
	if f.has("h1 kill") || f.has("h2 kill") {
		t.Errorf("a web container was killed: %v", f.events)
	}
}

func TestAKillAtTheTimeoutOfTheContainersOwnSignalIsAWarning(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.ignoreTerm = "shop-worker-v1"
	next := config("v2")
	next.Roles[1].Stop.Timeout = 30 * time.Millisecond
	res, err := Apply(context.Background(), plan(t, f, next), next, f, Options{Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), "shop-worker-v1 did not stop within its stop_timeout of 30ms after SIGTERM and was killed") {
		t.Errorf("warnings = %v", res.Warnings)
	}
}

func TestRemoveStopsBeforeItRemoves(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("v1")
	cfg.Roles = cfg.Roles[:1]
	mustApply(t, f, cfg)
	before(t, f, "h3 stop shop-worker-v1", "h3 remove shop-worker-v1")
	if f.has("h3 kill") {
		t.Errorf("the worker was killed: %v", f.events)
	}
}

func toCreate(s *planner.ContainerSpec) dockerapi.CreateSpec {
	return dockerapi.CreateSpec{Image: s.Image, Cmd: s.Cmd, Labels: s.Labels}
}

func TestCleanUpWaitsForAnUnreachableHost(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.lose["h1 start"] = true
	f.cutOnLoss = 4 // then the host is gone for the next few dials
	cfg := config("v2")
	f.mark = len(f.events)
	_, err := Apply(context.Background(), plan(t, f, cfg), cfg, f, Options{Poll: 5 * time.Millisecond, RetryInterval: time.Millisecond})
	if err == nil {
		t.Fatal("apply succeeded")
	}
	if got := f.running("h1"); !slices.Equal(got, []string{"shop-web-v1"}) {
		t.Errorf("h1 runs %v, want the old shop-web-v1 back", got)
	}
}

func TestCleanUpGivesUpAfterItsWindowAndSaysSo(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.lose["h1 start"] = true
	f.cutOnLoss = 1 << 30
	cfg := config("v2")
	res, err := Apply(context.Background(), plan(t, f, cfg), cfg, f, Options{Poll: 5 * time.Millisecond, RetryInterval: time.Millisecond, CleanupWindow: 20 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "gave up after the clean-up window") {
		t.Fatalf("err = %v", err)
	}
	for _, a := range res.Discarded {
		if a.Host == "h1" {
			t.Errorf("h1/web reported as discarded although it was never seen")
		}
	}
}
