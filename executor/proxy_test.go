package executor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

func TestProxyDeployArgs(t *testing.T) {
	route := &planner.ProxyRoute{Service: "shop-web", AppPort: 8080, HealthPath: "/up", HealthInterval: time.Second,
		DeployTimeout: 30 * time.Second, DrainTimeout: 5 * time.Second}
	got := ProxyDeployArgs(route, "0123456789ab")
	want := []string{"kamal-proxy", "deploy", "shop-web", "--target", "0123456789ab:8080", "--health-check-path", "/up",
		"--health-check-interval", "1s", "--deploy-timeout", "30s", "--drain-timeout", "5s"}
	if !slices.Equal(got, want) {
		t.Errorf("argv:\n got %q\nwant %q", got, want)
	}
	route.Host, route.PathPrefix = "shop.example.com", "/api"
	got = ProxyDeployArgs(route, "c1")
	if tail := got[len(got)-4:]; !slices.Equal(tail, []string{"--host", "shop.example.com", "--path-prefix", "/api"}) {
		t.Errorf("host and path prefix: %q", got)
	}
	route.Host, route.KeepPathPrefix = "a.example.com,b.example.com", true
	got = ProxyDeployArgs(route, "c1")
	if tail := got[len(got)-7:]; !slices.Equal(tail, []string{"--host", "a.example.com", "--host", "b.example.com", "--path-prefix", "/api", "--strip-path-prefix=false"}) {
		t.Errorf("several hosts, prefix kept: %q", got)
	}
}

// proxyFleet is the fleet with a kamal-proxy model on each host: a deploy
// to a running, healthy container moves the route; anything else fails
// and keeps the old route.
type proxyFleet struct {
	*fleet
	routes  map[string]string   // "h1 shop-web" -> container name
	names   map[string][]string // "h1 shop-web" -> its --host names
	deploys [][]string          // the argv of every kamal-proxy deploy
	// loseOn is an image tag whose proxy containers list no route (a
	// proxy that lost its state).
	loseOn string
}

type proxyHost struct {
	*fakeHost
	pf *proxyFleet
}

func newProxyFleet(hosts ...string) *proxyFleet {
	pf := &proxyFleet{fleet: newFleet(hosts...), routes: map[string]string{}, names: map[string][]string{}}
	pf.fleet.routes = func(host string) []planner.LiveRoute {
		var out []planner.LiveRoute
		for key, target := range pf.routes {
			h, service, _ := strings.Cut(key, " ")
			if h == host {
				out = append(out, planner.LiveRoute{Service: service, Hosts: pf.names[key], Paths: []string{"/"}, Target: target, State: "running"})
			}
		}
		slices.SortFunc(out, func(a, b planner.LiveRoute) int { return strings.Compare(a.Service, b.Service) })
		return out
	}
	return pf
}

func (p *proxyFleet) Docker(ctx context.Context, host string) (Docker, error) {
	d, err := p.fleet.Docker(ctx, host)
	if err != nil {
		return nil, err
	}
	return &proxyHost{fakeHost: d.(*fakeHost), pf: p}, nil
}

// Stop takes a name too, like Docker.
func (h *proxyHost) Stop(ctx context.Context, id string, timeout time.Duration) error {
	h.f.mu.Lock()
	for _, c := range h.containers {
		if c.name == id {
			id = c.id
		}
	}
	h.f.mu.Unlock()
	return h.fakeHost.Stop(ctx, id, timeout)
}

func (h *proxyHost) Exec(ctx context.Context, id string, argv []string) (int, []byte, error) {
	if len(argv) == 2 && argv[0] == "kamal-proxy" && argv[1] == "list" {
		h.f.mu.Lock()
		defer h.f.mu.Unlock()
		out := "Service  Host  Path  Target  State  TLS\n"
		if c, err := h.find(id); err == nil && h.pf.loseOn != "" && tagOf(c.image) == h.pf.loseOn {
			return 0, []byte(out), nil
		}
		for _, r := range h.pf.fleet.routes(h.name) {
			out += fmt.Sprintf("%s  %s  /  %s:8080  running  no\n", r.Service, cmp.Or(strings.Join(r.Hosts, ","), "*"), r.Target)
		}
		return 0, []byte(out), nil
	}
	if len(argv) < 3 || argv[0] != "kamal-proxy" {
		return h.fakeHost.Exec(ctx, id, argv)
	}
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	var proxy *fakeContainer
	for _, c := range h.containers {
		if c.name == id && c.state == "running" {
			proxy = c
		}
	}
	if proxy == nil {
		return -1, nil, errors.New("container " + id + " is not running")
	}
	key := h.name + " " + argv[2]
	if argv[1] == "deploy" {
		h.pf.deploys = append(h.pf.deploys, argv)
	}
	if argv[1] == "remove" {
		delete(h.pf.routes, key)
		h.f.event("%s unroute %s", h.name, argv[2])
		return 0, nil, nil
	}
	target, _, _ := strings.Cut(argv[4], ":")
	c, ok := h.containers[target]
	if !ok || c.state != "running" || tagOf(c.image) == "broken" || tagOf(c.image) == "unhealthy" {
		// Like kamal-proxy: keep checking until the deploy timeout.
		h.f.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		h.f.mu.Lock()
		return 1, []byte("Error: target failed to become healthy within configured timeout (1s)"), nil
	}
	h.pf.routes[key] = c.name
	h.pf.names[key] = nil
	for i, a := range argv {
		if a == "--host" {
			h.pf.names[key] = append(h.pf.names[key], argv[i+1])
		}
	}
	h.f.event("%s route %s %s", h.name, argv[2], c.name)
	return 0, nil, nil
}

func proxiedConfig(version string) *lang.Config {
	cfg := config(version)
	cfg.Proxy = lang.Proxy{Image: "10.77.0.1:5000/kamal-proxy:v0.9.2", HTTPPort: 80}
	cfg.Roles[0].Ports = nil
	cfg.Roles[0].Proxy = &lang.RoleProxy{AppPort: 8080, HealthPath: "/up", DeployTimeout: time.Second, DrainTimeout: time.Second}
	return cfg
}

func applyProxied(t *testing.T, f *proxyFleet, cfg *lang.Config) (*Result, error) {
	t.Helper()
	f.mark = len(f.events)
	return Apply(context.Background(), plan(t, f.fleet, cfg), cfg, f, Options{Poll: 5 * time.Millisecond})
}

func TestProxiedRedeploySwitchesBeforeStoppingOld(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	before(t, f.fleet, "h1 start berth-proxy", "h1 route shop-web shop-web-v1")
	before(t, f.fleet, "h1 route shop-web shop-web-v1", "h2 start shop-web-v1")
	if !f.networks["h1 berth"] || !f.networks["h2 berth"] || f.networks["h3 berth"] {
		t.Errorf("networks: %v", f.networks)
	}
	if _, err := applyProxied(t, f, proxiedConfig("v2")); err != nil {
		t.Fatal(err)
	}
	// The new container runs beside the old one; the proxy switches; then the old one stops.
	before(t, f.fleet, "h1 start shop-web-v2", "h1 route shop-web shop-web-v2")
	before(t, f.fleet, "h1 route shop-web shop-web-v2", "h1 stop shop-web-v1")
	before(t, f.fleet, "h1 route shop-web shop-web-v2", "h2 start shop-web-v2")
	before(t, f.fleet, "h2 route shop-web shop-web-v2", "h2 stop shop-web-v1")
	if f.has("h1 stop berth-proxy") {
		t.Error("a redeploy touched the proxy")
	}
	if p := plan(t, f.fleet, proxiedConfig("v2")); p.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", p.Changes)
	}
}

func TestProxiedBadPrimaryKeepsTheOldRoute(t *testing.T) {
	noCheck := func(c *lang.Config) { c.Roles[0].Healthcheck = nil }
	tests := []struct {
		name, tag, reason string
		mutate            func(*lang.Config)
	}{
		{"broken", "broken", "exited with code 1", nil},
		// The role's own check fails first: the proxy is never asked.
		{"unhealthy", "unhealthy", "deadline", nil},
		{"unhealthy without own check", "unhealthy", "the proxy kept the old target", noCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testProxiedBadPrimary(t, tt.tag, tt.reason, tt.mutate) })
	}
}

// A proxied role's own health check runs before the switch: when it fails,
// the route never moves and the barrier closes.
func TestProxiedOwnHealthCheckBeforeSwitch(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Healthcheck.Deadline = 200 * time.Millisecond
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	before(t, f.fleet, "h1 healthy shop-web-v1", "h1 route shop-web shop-web-v1")
	cfg = proxiedConfig("unhealthy")
	cfg.Roles[0].Healthcheck.Deadline = 200 * time.Millisecond
	deploys := len(f.deploys)
	_, err := applyProxied(t, f, cfg)
	if !errors.Is(err, ErrBarrierClosed) {
		t.Fatalf("err = %v", err)
	}
	if len(f.deploys) != deploys {
		t.Errorf("the proxy was asked to switch to a container that failed its own check:\n%s", strings.Join(f.events, "\n"))
	}
}

func testProxiedBadPrimary(t *testing.T, tag, reason string, mutate func(*lang.Config)) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg := proxiedConfig("v1")
	if mutate != nil {
		mutate(cfg)
	}
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	cfg = proxiedConfig(tag)
	cfg.Roles[0].Healthcheck.Deadline = 2 * time.Second
	if mutate != nil {
		mutate(cfg)
	}
	res, err := applyProxied(t, f, cfg)
	if !errors.Is(err, ErrBarrierClosed) || res.BarrierOpen {
		t.Fatalf("err = %v", err)
	}
	var he *HealthError
	if !errors.As(err, &he) || !strings.Contains(he.Reason, reason) {
		t.Errorf("want %q in the error: %v", reason, err)
	}
	for _, h := range []string{"h1", "h2"} {
		if got := f.routes[h+" shop-web"]; got != "shop-web-v1" {
			t.Errorf("%s routes to %q", h, got)
		}
		if got := f.running(h); !slices.Equal(got, []string{"berth-proxy", "shop-web-v1"}) {
			t.Errorf("%s runs %v", h, got)
		}
	}
	if f.has("h2 start shop-web-"+tag) || f.has("h1 stop shop-web-v1") {
		t.Errorf("the broken build cut over:\n%s", strings.Join(f.events, "\n"))
	}
}

func TestProxiedRollbackRoutesBack(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	cfg := proxiedConfig("v2")
	cfg.Deploy.OnFailure = "rollback"
	f.failStart["h3"] = "v2" // the worker fails after the barrier opened
	res, err := applyProxied(t, f, cfg)
	if err == nil || !res.BarrierOpen {
		t.Fatalf("want a failure after the barrier: %v", err)
	}
	for _, h := range []string{"h1", "h2"} {
		if got := f.routes[h+" shop-web"]; got != "shop-web-v1" {
			t.Errorf("%s routes to %q after the rollback", h, got)
		}
		if got := f.running(h); !slices.Equal(got, []string{"berth-proxy", "shop-web-v1"}) {
			t.Errorf("%s runs %v", h, got)
		}
	}
}

func TestProxiedRoleRemovedLosesItsRoute(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg := proxiedConfig("v1")
	api := cfg.Roles[0]
	api.Name, api.Primary, api.Hosts = "api", false, []string{"h1"}
	apiProxy := *api.Proxy
	apiProxy.PathPrefix = "/api" // one route per host and path
	api.Proxy = &apiProxy
	cfg.Roles = append(cfg.Roles, api)
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	if f.routes["h1 shop-api"] != "shop-api-v1" {
		t.Fatalf("routes: %v", f.routes)
	}
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	before(t, f.fleet, "h1 unroute shop-api", "h1 remove shop-api-v1")
	if _, ok := f.routes["h1 shop-api"]; ok || f.routes["h1 shop-web"] != "shop-web-v1" {
		t.Errorf("routes after the api role left: %v", f.routes)
	}
}

func TestProxyDeployTimeoutFitsTheBarrierTimeout(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Proxy.DeployTimeout = time.Minute
	cfg.Deploy.BarrierTimeout = 10 * time.Second
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	if len(f.deploys) != 2 {
		t.Fatalf("%d deploys, want 2", len(f.deploys))
	}
	timeout := func(argv []string) time.Duration {
		d, err := time.ParseDuration(argv[slices.Index(argv, "--deploy-timeout")+1])
		if err != nil {
			t.Fatalf("argv %q: %v", argv, err)
		}
		return d
	}
	// The primary's switch opens the barrier: kamal-proxy must give up
	// within the barrier timeout. The other host's switch keeps a minute.
	if d := timeout(f.deploys[0]); d > 10*time.Second || d < 5*time.Second {
		t.Errorf("the primary's deploy timeout is %s with a 10s barrier timeout", d)
	}
	if d := timeout(f.deploys[1]); d != time.Minute {
		t.Errorf("h2's deploy timeout is %s, want 1m", d)
	}
}

func TestProxiedMoveFromPortsWithABadBuildGivesThePortBack(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, config("v1")); err != nil {
		t.Fatal(err)
	}
	_, err := applyProxied(t, f, proxiedConfig("broken"))
	if !errors.Is(err, ErrBarrierClosed) {
		t.Fatalf("err = %v", err)
	}
	// The old container needs its port back: the new proxy stops first.
	before(t, f.fleet, "h1 stop berth-proxy", "h1 start shop-web-v1")
	if got := f.running("h1"); !slices.Equal(got, []string{"shop-web-v1"}) {
		t.Errorf("h1 runs %v", got)
	}
	if got := f.running("h2"); !slices.Equal(got, []string{"shop-web-v1"}) || f.has("h2 start berth-proxy") {
		t.Errorf("h2 runs %v (a proxy started behind the closed barrier: %v)", got, f.has("h2 start berth-proxy"))
	}
}

func TestProxiedMoveFromPortsRolledBack(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, config("v1")); err != nil {
		t.Fatal(err)
	}
	cfg := proxiedConfig("v2")
	cfg.Deploy.OnFailure = "rollback"
	f.failStart["h3"] = "v2"
	res, err := applyProxied(t, f, cfg)
	if err == nil || !res.BarrierOpen || len(res.RolledBack) == 0 {
		t.Fatalf("want a rollback after the barrier: %v, %+v", err, res)
	}
	for _, h := range []string{"h1", "h2"} {
		if got := f.running(h); !slices.Equal(got, []string{"shop-web-v1"}) {
			t.Errorf("%s runs %v after the rollback, want the old container on its own port", h, got)
		}
		before(t, f.fleet, h+" stop berth-proxy", h+" start shop-web-v1")
	}
}

func TestProxyRemovedWhenTheRoleReturnsToPorts(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	if _, err := applyProxied(t, f, config("v2")); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h1", "h2"} {
		before(t, f.fleet, h+" stop shop-web-v1", h+" stop berth-proxy")
		before(t, f.fleet, h+" stop berth-proxy", h+" start shop-web-v2")
		for _, c := range f.all(h) {
			if strings.HasPrefix(c, "berth-proxy") {
				t.Errorf("%s keeps %s", h, c)
			}
		}
	}
	if p := plan(t, f.fleet, config("v2")); p.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", p.Changes)
	}
}

func TestProxyRemovalWithABadBuildRestartsTheProxy(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	_, err := applyProxied(t, f, config("broken"))
	if !errors.Is(err, ErrBarrierClosed) {
		t.Fatalf("err = %v", err)
	}
	// h1 went back to the proxied old container: its proxy runs again.
	before(t, f.fleet, "h1 stop berth-proxy", "h1 start berth-proxy")
	for _, h := range []string{"h1", "h2"} {
		if got := f.running(h); !slices.Equal(got, []string{"berth-proxy", "shop-web-v1"}) {
			t.Errorf("%s runs %v", h, got)
		}
		if f.routes[h+" shop-web"] != "shop-web-v1" {
			t.Errorf("%s routes %v", h, f.routes)
		}
	}
}

func TestProxyMaintenanceArgs(t *testing.T) {
	if got := ProxyStopArgs("shop-web", "Back at 6", 5*time.Second); !slices.Equal(got, []string{"kamal-proxy", "stop", "shop-web", "--drain-timeout", "5s", "--message", "Back at 6"}) {
		t.Errorf("stop: %q", got)
	}
	if got := ProxyStopArgs("shop-web", "", time.Second); slices.Contains(got, "--message") {
		t.Errorf("stop without a message: %q", got)
	}
	if got := ProxyResumeArgs("shop-web"); !slices.Equal(got, []string{"kamal-proxy", "resume", "shop-web"}) {
		t.Errorf("resume: %q", got)
	}
}
