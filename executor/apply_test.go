package executor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// config is two roles on three hosts: web (primary, publishes a port, a
// check given as a list) on h1 and h2, worker (no health check) on h3.
func config(version string) *lang.Config {
	return &lang.Config{
		Hash:    "sha256:test",
		Service: lang.Service{Name: "shop", Image: "10.77.0.1:5000/app"},
		Version: lang.Version{Full: version, Short: version},
		SSH:     lang.SSH{CommandTimeout: 10 * time.Second},
		Hosts:   []lang.Host{{Name: "h1"}, {Name: "h2"}, {Name: "h3"}},
		Roles: []lang.Role{
			{Name: "web", Primary: true, Hosts: []string{"h1", "h2"}, Cmd: []string{"/app", "serve"},
				Ports:       []lang.Port{{HostPort: 80, ContainerPort: 8080}},
				SecretEnv:   map[string]lang.Secret{"DB_PASSWORD": lang.NewSecret(`env("DB_PASSWORD")`, "hunter2")},
				Healthcheck: &lang.Healthcheck{Cmd: []string{"/app", "check"}, Interval: 10 * time.Millisecond, Deadline: 2 * time.Second}},
			{Name: "worker", Hosts: []string{"h3"}, Cmd: []string{"/app", "work"}},
		},
		Deploy: lang.Deploy{Parallelism: 10, Retain: 1, StopTimeout: time.Second, OnFailure: "stop", ReadinessDelay: 20 * time.Millisecond},
	}
}

func plan(t *testing.T, f *fleet, cfg *lang.Config) *planner.Plan {
	t.Helper()
	p, err := planner.Build(context.Background(), cfg, planner.Deps{State: f, Digests: f}, planner.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func apply(t *testing.T, f *fleet, cfg *lang.Config) (*Result, error) {
	t.Helper()
	f.mark = len(f.events)
	return Apply(context.Background(), plan(t, f, cfg), cfg, f, Options{Poll: 5 * time.Millisecond})
}

func mustApply(t *testing.T, f *fleet, cfg *lang.Config) {
	t.Helper()
	f.mark = len(f.events)
	if _, err := apply(t, f, cfg); err != nil {
		t.Fatalf("apply %s: %v", cfg.Version.Full, err)
	}
	if p := plan(t, f, cfg); p.HasChanges() {
		t.Fatalf("plan right after apply %s has changes: %+v", cfg.Version.Full, p.Changes)
	}
}

func before(t *testing.T, f *fleet, first, then string) {
	t.Helper()
	i := f.index(first, f.mark)
	j := f.index(then, i)
	if i < 0 || j < 0 {
		t.Fatalf("want %q (at %d) before %q (at %d); events:\n%s", first, i, then, j, strings.Join(f.events, "\n"))
	}
}

func TestFreshDeployThenRedeployRespectsTheBarrier(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	// Nothing but the primary starts before the primary is healthy.
	before(t, f, "h1 healthy shop-web-v1", "h2 start shop-web-v1")
	before(t, f, "h1 healthy shop-web-v1", "h3 start shop-worker-v1")

	mustApply(t, f, config("v2"))
	// The web role publishes a port: old stops before new starts.
	before(t, f, "h1 stop shop-web-v1", "h1 start shop-web-v2")
	before(t, f, "h1 healthy shop-web-v2", "h2 stop shop-web-v1")
	before(t, f, "h1 healthy shop-web-v2", "h3 start shop-worker-v2")
	// The worker publishes nothing: new starts and is ready before old stops.
	before(t, f, "h3 start shop-worker-v2", "h3 stop shop-worker-v1")
	for h, want := range map[string][]string{"h1": {"shop-web-v2"}, "h2": {"shop-web-v2"}, "h3": {"shop-worker-v2"}} {
		if got := f.running(h); !slices.Equal(got, want) {
			t.Errorf("%s runs %v, want %v", h, got, want)
		}
	}
	// Secrets reach the container, from the configuration.
	for _, c := range f.hosts["h1"].containers {
		if c.state == "running" && !slices.Contains(c.env, "DB_PASSWORD=hunter2") {
			t.Errorf("secret env missing: %v", c.env)
		}
	}
	// retain = 1: after a third deploy only one old container is kept.
	mustApply(t, f, config("v3"))
	if got := f.all("h3"); !slices.Equal(got, []string{"shop-worker-v2:exited", "shop-worker-v3:running"}) {
		t.Errorf("h3 after prune: %v", got)
	}
}

func TestBadPrimaryImageClosesTheBarrier(t *testing.T) {
	for _, tag := range []string{"broken", "unhealthy"} {
		t.Run(tag, func(t *testing.T) {
			f := newFleet("h1", "h2", "h3")
			mustApply(t, f, config("v1"))
			res, err := apply(t, f, config(tag))
			if !errors.Is(err, ErrBarrierClosed) {
				t.Fatalf("want ErrBarrierClosed, got %v", err)
			}
			var he *HealthError
			if !errors.As(err, &he) || he.Address.Host != "h1" || he.Container != "shop-web-"+tag {
				t.Fatalf("error does not name the failed container: %v", err)
			}
			if tag == "broken" && !strings.Contains(err.Error(), "cannot open database") {
				t.Errorf("error lacks the container's last log lines: %v", err)
			}
			if tag == "unhealthy" && !strings.Contains(err.Error(), "503") {
				t.Errorf("error lacks the health check output: %v", err)
			}
			if res.BarrierOpen {
				t.Error("barrier reported open")
			}
			// The previous version serves everywhere; nothing of the bad one is left.
			for h, want := range map[string][]string{"h1": {"shop-web-v1"}, "h2": {"shop-web-v1"}, "h3": {"shop-worker-v1"}} {
				if got := f.running(h); !slices.Equal(got, want) {
					t.Errorf("%s runs %v, want %v", h, got, want)
				}
				for _, c := range f.all(h) {
					if strings.Contains(c, tag) {
						t.Errorf("%s still has %s", h, c)
					}
				}
			}
			if f.has("h3 start shop-worker-"+tag) || f.has("h2 start shop-web-"+tag) || f.has("h2 stop") || f.has("h3 stop") {
				t.Fatalf("a waiting role cut over behind a closed barrier:\n%s", strings.Join(f.events, "\n"))
			}
			// Preparing ahead happened and was undone.
			before(t, f, "h3 create shop-worker-"+tag, "h3 remove shop-worker-"+tag)
			// On the primary the old container (it held the port) serves again.
			before(t, f, "h1 stop shop-web-v1", "h1 start shop-web-v1")
		})
	}
}

func TestFailureAfterBarrierWaitsForEveryBranch(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	f.failStart["h2"] = "v2"
	res, err := apply(t, f, config("v2"))
	if err == nil || !strings.Contains(err.Error(), "h2/web") || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("error does not name h2's failure: %v", err)
	}
	if errors.Is(err, ErrBarrierClosed) || !res.BarrierOpen {
		t.Fatalf("barrier should have opened: %v", err)
	}
	// The other branches finished; h2 stays on (or is back on) the old version.
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-worker-v2"}) {
		t.Errorf("h3 runs %v", got)
	}
	if got := f.running("h1"); !slices.Equal(got, []string{"shop-web-v2"}) {
		t.Errorf("h1 runs %v", got)
	}
	if got := f.running("h2"); !slices.Equal(got, []string{"shop-web-v1"}) {
		t.Errorf("h2 runs %v, want the old version back", got)
	}
	f.failStart["h2"] = ""
	p := plan(t, f, config("v2"))
	if c, r, _, _ := p.Counts(); c != 0 || r != 1 {
		t.Fatalf("next plan should replace h2 only, got %d create %d replace", c, r)
	}
	mustApply(t, f, config("v2"))
}

func TestOnFailureRollbackReturnsMovedHosts(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("v2")
	cfg.Deploy.OnFailure = "rollback"
	f.failStart["h3"] = "v2"
	res, err := apply(t, f, cfg)
	if err == nil {
		t.Fatal("apply succeeded")
	}
	if len(res.RolledBack) != 2 {
		t.Errorf("rolled back %v, want h1/web and h2/web", res.RolledBack)
	}
	for h, want := range map[string][]string{"h1": {"shop-web-v1"}, "h2": {"shop-web-v1"}, "h3": {"shop-worker-v1"}} {
		if got := f.running(h); !slices.Equal(got, want) {
			t.Errorf("%s runs %v, want %v", h, got, want)
		}
	}
}

func TestInterruptDuringPrimaryHealthCleansUp(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("slow")
	p := plan(t, f, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	rep := &cancelOn{step: "h1/web/health", cancel: cancel}
	_, err := Apply(ctx, p, cfg, f, Options{Poll: 5 * time.Millisecond, Reporter: rep})
	if !errors.Is(err, context.Canceled) && !errors.Is(err, errInterrupted) {
		t.Fatalf("want an interrupted apply, got %v", err)
	}
	for h, want := range map[string][]string{"h1": {"shop-web-v1"}, "h2": {"shop-web-v1"}, "h3": {"shop-worker-v1"}} {
		if got := f.running(h); !slices.Equal(got, want) {
			t.Errorf("%s runs %v, want %v", h, got, want)
		}
		for _, c := range f.all(h) {
			if strings.Contains(c, "slow") {
				t.Errorf("%s keeps %s", h, c)
			}
		}
	}
}

// cancelOn cancels the apply as soon as a given step starts.
type cancelOn struct {
	NopReporter
	step   string
	cancel context.CancelFunc
}

func (c *cancelOn) StepStarted(s planner.Step) {
	if s.ID == c.step {
		c.cancel()
	}
}

// Rolling batches of one host: the primary host cuts over first, and each
// later batch only cuts over once the batch before it has finished.
func TestRollingBatchesCutOverOneAfterTheOther(t *testing.T) {
	f := newFleet("h1", "h2", "h3", "h4")
	cfg := config("v1")
	// The primary host is declared last: it must still go first. The
	// others follow in declaration order: h4, h3, h2.
	cfg.Hosts = []lang.Host{{Name: "h4"}, {Name: "h3"}, {Name: "h2"}, {Name: "h1"}}
	cfg.Roles[0].Hosts = []string{"h1", "h2", "h4"}
	cfg.Deploy.Batch = 1
	mustApply(t, f, cfg)
	cfg.Version = lang.Version{Full: "v2", Short: "v2"}
	mustApply(t, f, cfg)
	before(t, f, "h1 healthy shop-web-v2", "h4 stop shop-web-v1")
	before(t, f, "h4 healthy shop-web-v2", "h3 start shop-worker-v2")
	before(t, f, "h3 stop shop-worker-v1", "h2 stop shop-web-v1")
	// (That pull and create are not held back by the batches is a property
	// of the graph, tested in planner; here it would only be a race.)
}

// Going back to a version whose container is retained starts that very
// container again: no pull, no new container. A failure leaves it retained.
func TestReturnToRetainedVersionReusesItsContainer(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	mustApply(t, f, config("v2"))
	mustApply(t, f, config("v1"))
	if f.has("h1 create shop-web-v1") && f.index("h1 create shop-web-v1", f.mark) >= 0 {
		t.Fatalf("a new v1 container was created instead of starting the retained one:\n%s", strings.Join(f.events[f.mark:], "\n"))
	}
	before(t, f, "h1 stop shop-web-v2", "h1 start shop-web-v1")
	if got := f.all("h1"); !slices.Equal(got, []string{"shop-web-v1:running", "shop-web-v2:exited"}) {
		t.Fatalf("h1 has %v", got)
	}
}

// The steps that open the barrier are bounded by deploy.barrier_timeout,
// even when the health check's own deadline is longer.
func TestBarrierTimeoutBoundsThePrimary(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("v1"))
	cfg := config("slow")
	cfg.Roles[0].Healthcheck.Deadline = time.Minute
	cfg.Deploy.BarrierTimeout = 200 * time.Millisecond
	start := time.Now()
	_, err := apply(t, f, cfg)
	if !errors.Is(err, ErrBarrierClosed) || !strings.Contains(err.Error(), "barrier_timeout") {
		t.Fatalf("want the barrier closed by its timeout, got %v", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("took %s: the barrier timeout did not bound the wait", time.Since(start))
	}
	if got := f.running("h3"); !slices.Equal(got, []string{"shop-worker-v1"}) {
		t.Errorf("h3 runs %v", got)
	}
}
