package executor

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// namedConfig is proxiedConfig of service name, its web role routing host.
func namedConfig(name, host, version string) *lang.Config {
	cfg := proxiedConfig(version)
	cfg.Service.Name = name
	cfg.Roles[0].Proxy.Hosts = []string{host}
	return cfg
}

func destroyProxied(t *testing.T, f *proxyFleet, cfg *lang.Config) {
	t.Helper()
	p, err := planner.Build(context.Background(), cfg, planner.Deps{State: f.fleet, Digests: f.fleet}, planner.Options{Destroy: true})
	if err != nil {
		t.Fatalf("plan destroy %s: %v", cfg.Service.Name, err)
	}
	f.mark = len(f.events)
	if _, err := Apply(context.Background(), p, cfg, f, Options{Poll: 5 * time.Millisecond}); err != nil {
		t.Fatalf("destroy %s: %v", cfg.Service.Name, err)
	}
}

func proxyContainers(f *proxyFleet, host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.hosts[host].containers {
		if c.labels[planner.LabelProxy] == "true" {
			n++
		}
	}
	return n
}

func TestProxySharedByTwoServices(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	blog, shop := namedConfig("blog", "blog.example.com", "v1"), namedConfig("shop", "shop.example.com", "v1")
	for _, cfg := range []*lang.Config{blog, shop} {
		if _, err := applyProxied(t, f, cfg); err != nil {
			t.Fatalf("apply %s: %v", cfg.Service.Name, err)
		}
	}
	if got := strings.Count(strings.Join(f.events, "\n"), "h1 create berth-proxy"); got != 1 {
		t.Errorf("the proxy was created %d times on h1:\n%s", got, strings.Join(f.events, "\n"))
	}
	if f.routes["h1 blog-web"] != "blog-web-v1" || f.routes["h1 shop-web"] != "shop-web-v1" {
		t.Fatalf("routes: %v", f.routes)
	}
	// A redeploy of one moves only its own route.
	if _, err := applyProxied(t, f, namedConfig("shop", "shop.example.com", "v2")); err != nil {
		t.Fatal(err)
	}
	if f.routes["h1 blog-web"] != "blog-web-v1" || f.routes["h1 shop-web"] != "shop-web-v2" {
		t.Fatalf("routes after shop's redeploy: %v", f.routes)
	}
	// The first service leaves: the proxy stays for the other.
	destroyProxied(t, f, blog)
	if _, ok := f.routes["h1 blog-web"]; ok || f.routes["h1 shop-web"] != "shop-web-v2" {
		t.Errorf("routes after blog left: %v", f.routes)
	}
	if n := proxyContainers(f, "h1"); n != 1 {
		t.Errorf("h1 has %d proxies after blog left, want 1", n)
	}
	// The last one leaves: the proxy goes.
	destroyProxied(t, f, namedConfig("shop", "shop.example.com", "v2"))
	if n := proxyContainers(f, "h1") + proxyContainers(f, "h2"); n != 0 {
		t.Errorf("%d proxies after the last service left", n)
	}
}

func TestProxyRouteClaimedByAnotherServiceIsRefused(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, namedConfig("blog", "example.com", "v1")); err != nil {
		t.Fatal(err)
	}
	_, err := planner.Build(context.Background(), namedConfig("shop", "example.com", "v1"), planner.Deps{State: f.fleet, Digests: f.fleet}, planner.Options{})
	if !errors.Is(err, planner.ErrRouteClaimed) || !strings.Contains(err.Error(), "h1: shop-web and blog-web (another service) both claim host example.com, path /") {
		t.Fatalf("err = %v", err)
	}
}

// A service that leaves the proxy keeps it when another service started to
// route through it after the plan was made (its apply runs under its own lock).
func TestProxyRemovalKeepsAProxyAnotherServiceJoined(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	shop := namedConfig("shop", "shop.example.com", "v1")
	if _, err := applyProxied(t, f, shop); err != nil {
		t.Fatal(err)
	}
	p, err := planner.Build(context.Background(), shop, planner.Deps{State: f.fleet, Digests: f.fleet}, planner.Options{Destroy: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := applyProxied(t, f, namedConfig("blog", "blog.example.com", "v1")); err != nil {
		t.Fatal(err)
	}
	f.mark = len(f.events)
	rep := &recorder{}
	if _, err := Apply(context.Background(), p, shop, f, Options{Poll: 5 * time.Millisecond, Reporter: rep}); err != nil {
		t.Fatal(err)
	}
	if n := proxyContainers(f, "h1"); n != 1 || f.routes["h1 blog-web"] != "blog-web-v1" {
		t.Errorf("h1: %d proxies, routes %v: the proxy went from under blog", n, f.routes)
	}
	if !strings.Contains(strings.Join(rep.events, "\n"), "kept berth-proxy: other services route through it now (blog-web)") {
		t.Errorf("events:\n%s", strings.Join(rep.events, "\n"))
	}
}

// recorder keeps the events of an apply.
type recorder struct {
	NopReporter
	mu     sync.Mutex
	events []string
}

func (r *recorder) Event(_ planner.Address, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, msg)
}
