package planner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
)

const digestProxy = "sha256:9999999999999999999999999999999999999999999999999999999999999999"

// proxiedConfig is testConfig with the web role behind the proxy.
func proxiedConfig(version string) *lang.Config {
	cfg := testConfig(version)
	cfg.Proxy = lang.Proxy{Image: "10.77.0.1:5000/kamal-proxy:v0.9.2", HTTPPort: 80}
	cfg.Roles[0].Ports = nil
	cfg.Roles[0].Proxy = &lang.RoleProxy{AppPort: 8080, HealthPath: "/up", DeployTimeout: 30 * time.Second, DrainTimeout: 5 * time.Second}
	return cfg
}

// withProxies adds a running proxy container on every proxied host of cfg.
func withProxies(f *fakeHosts, cfg *lang.Config) *fakeHosts {
	for i, h := range []string{"h1", "h2", "h3"} {
		if cfg.Proxied(h) {
			f.put(h, live("p"+string(rune('1'+i)), ProxySpec(cfg, h, digestProxy, WantsHTTPS(cfg, h, HostState{})), "running", t0))
		}
	}
	return f
}

func proxyBuild(t *testing.T, cfg *lang.Config, hosts *fakeHosts, opts Options) *Plan {
	t.Helper()
	d := newDigests()
	d.m["10.77.0.1:5000/kamal-proxy:v0.9.2"] = digestProxy
	opts.Now = func() time.Time { return t0 }
	p, err := Build(context.Background(), cfg, Deps{State: hosts, Digests: d}, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	walkAll(t, p.Graph)
	return p
}

func mustDepend(t *testing.T, g Graph, id string, deps ...string) {
	t.Helper()
	s, ok := g.Step(id)
	if !ok {
		t.Fatalf("no step %s in\n%s", id, g)
	}
	for _, d := range deps {
		if !slices.Contains(s.DependsOn, d) {
			t.Errorf("%s depends on %v, not on %s", id, s.DependsOn, d)
		}
	}
}

func TestProxyFreshDeploy(t *testing.T) {
	p := proxyBuild(t, proxiedConfig("v1"), &fakeHosts{}, Options{})
	got := summary(p)
	for _, want := range []string{"h1/web create primary\nh1/berth-proxy create\n", "h2/berth-proxy create\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("changes lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "h3/berth-proxy") {
		t.Errorf("a proxy on h3, which has no proxied role:\n%s", got)
	}
	web := p.Changes[0].Desired
	if len(web.Ports) != 0 || !slices.Equal(web.Networks(), []string{"berth-shop", ProxyNetwork}) || web.Proxy == nil || web.Proxy.Service != "shop-web" || web.Proxy.AppPort != 8080 {
		t.Errorf("proxied web spec: ports %v network %q proxy %+v", web.Ports, web.Network, web.Proxy)
	}
	px := p.Changes[1].Desired
	if px.Name != ProxyContainer || !slices.Equal(portStrings(px.Ports), []string{"80:80"}) || px.Labels[LabelProxy] != "true" ||
		px.Labels[LabelVersion] != "v0.9.2" || !strings.HasSuffix(px.Image, "@"+digestProxy) || px.Network != ProxyNetwork {
		t.Errorf("proxy spec: %+v", px)
	}
	mustDepend(t, p.Graph, "h1/web/switch", "h1/web/start", "h1/berth-proxy/health")
	mustDepend(t, p.Graph, BarrierID, "h1/web/switch")
	if _, ok := p.Graph.Step("h1/web/health"); ok {
		t.Error("a proxied role has a health step besides its switch")
	}
	// The proxy is prepared ahead of the barrier: it routes nothing new by itself.
	if s, _ := p.Graph.Step("h2/berth-proxy/start"); slices.Contains(s.DependsOn, BarrierID) {
		t.Errorf("h2 proxy start waits for the barrier: %v", s.DependsOn)
	}
	golden(t, "graph_proxy_fresh", p.Graph.String())
}

func TestProxyRedeployStartsSwitchesThenStopsOld(t *testing.T) {
	old := proxiedConfig("v1")
	p := proxyBuild(t, proxiedConfig("v2"), withProxies(deployed(old, digestV1), old), Options{})
	if got := summary(p); !strings.Contains(got, "h1/berth-proxy unchanged") || !strings.Contains(got, "h2/berth-proxy unchanged") {
		t.Errorf("proxies not unchanged:\n%s", got)
	}
	mustDepend(t, p.Graph, "h1/web/switch", "h1/web/start")
	mustDepend(t, p.Graph, "h1/web/stop_old", "h1/web/switch")
	mustDepend(t, p.Graph, "h2/web/start", BarrierID)
	golden(t, "graph_proxy_redeploy", p.Graph.String())
}

func TestProxyFromPublishedPorts(t *testing.T) {
	p := proxyBuild(t, proxiedConfig("v2"), deployed(testConfig("v1"), digestV1), Options{})
	got := summary(p)
	for _, want := range []string{"[ports |80:8080|(none)]", "[network |berth-shop|berth-shop, berth]", "[proxy |(none)|shop-web → :8080"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	// The old container holds port 80: it stops, then the proxy starts on
	// it, then the new container starts and the proxy switches to it.
	mustDepend(t, p.Graph, "h1/web/start", "h1/web/stop_old")
	mustDepend(t, p.Graph, "h1/berth-proxy/start", "h1/web/stop_old")
	mustDepend(t, p.Graph, "h1/web/switch", "h1/berth-proxy/health")
	mustDepend(t, p.Graph, "h2/berth-proxy/start", "h2/web/stop_old")
}

func TestProxyRemovedReturnsToPublishedPorts(t *testing.T) {
	old := proxiedConfig("v1")
	p := proxyBuild(t, testConfig("v1"), withProxies(deployed(old, digestV1), old), Options{})
	got := summary(p)
	for _, want := range []string{
		"h1/web replace primary", "[ports |(none)|80:8080]", "[network |berth-shop, berth|berth-shop]", "[proxy |shop-web → :8080",
		"h1/berth-proxy remove [proxy |berth-proxy|(no role on h1 is proxied)]", "h2/berth-proxy remove",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	// The old container stops, the proxy frees port 80, the new container starts on it.
	mustDepend(t, p.Graph, "h1/berth-proxy/remove", "h1/web/stop_old")
	mustDepend(t, p.Graph, "h1/web/start", "h1/berth-proxy/remove")
	mustDepend(t, p.Graph, "h2/berth-proxy/remove", BarrierID, "h2/web/stop_old")
	if s, _ := p.Graph.Step("h1/berth-proxy/remove"); slices.Contains(s.DependsOn, BarrierID) {
		t.Errorf("the primary host's proxy remove waits for the barrier it comes before: %v", s.DependsOn)
	}
	golden(t, "graph_proxy_removed", p.Graph.String())
}

func TestProxyImageChangeReplacesTheProxy(t *testing.T) {
	old := proxiedConfig("v1")
	cfg := proxiedConfig("v1")
	cfg.Proxy.Image = "10.77.0.1:5000/kamal-proxy:v0.9.3"
	d := newDigests()
	d.m["10.77.0.1:5000/kamal-proxy:v0.9.3"] = digestV2
	p, err := Build(context.Background(), cfg, Deps{State: withProxies(deployed(old, digestV1), old), Digests: d}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(p)
	if !strings.Contains(got, "h1/berth-proxy replace [version |v0.9.2|v0.9.3]") || !strings.Contains(got, "h1/web unchanged") {
		t.Errorf("plan:\n%s", got)
	}
	// The old proxy holds the port: stop it, start the new one.
	mustDepend(t, p.Graph, "h1/berth-proxy/start", "h1/berth-proxy/stop_old")
}

func TestProxyRouteChangeReplacesTheRole(t *testing.T) {
	old := proxiedConfig("v1")
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Proxy.Hosts = []string{"shop.example.com"}
	p := proxyBuild(t, cfg, withProxies(deployed(old, digestV1), old), Options{})
	if got := summary(p); !strings.Contains(got, "h1/web replace primary [proxy |shop-web → :8080, host *") ||
		!strings.Contains(got, "host shop.example.com") {
		t.Errorf("plan:\n%s", got)
	}
}

func TestProxyDestroyRemovesIt(t *testing.T) {
	old := proxiedConfig("v1")
	p := proxyBuild(t, old, withProxies(deployed(old, digestV1), old), Options{Destroy: true})
	if got := summary(p); !strings.Contains(got, "h1/berth-proxy remove") || !strings.Contains(got, "h2/berth-proxy remove") {
		t.Errorf("destroy keeps the proxies:\n%s", got)
	}
}

func TestProxyTargetByName(t *testing.T) {
	old := proxiedConfig("v1")
	cfg := proxiedConfig("v1")
	cfg.Proxy.HTTPPort = 8000
	p := proxyBuild(t, cfg, withProxies(deployed(old, digestV1), old), Options{Targets: []string{"proxy"}})
	if got := summary(p); got != "h1/berth-proxy replace [ports |80:80|8000:80]\nh2/berth-proxy replace [ports |80:80|8000:80]\n" {
		t.Errorf("--target proxy:\n%s", got)
	}
}

func TestProxyPlanFileRoundTrip(t *testing.T) {
	old := proxiedConfig("v1")
	p := proxyBuild(t, proxiedConfig("v2"), withProxies(deployed(old, digestV1), old), Options{})
	path := t.TempDir() + "/plan.json"
	if err := WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Graph.String() != p.Graph.String() {
		t.Errorf("graph changed:\n%s\nwant\n%s", got.Graph, p.Graph)
	}
	var proxies int
	for i, c := range got.Changes {
		if c.Address != p.Changes[i].Address {
			t.Errorf("change %d: address %+v, want %+v", i, c.Address, p.Changes[i].Address)
		}
		if c.Address.Proxy {
			proxies++
		}
		if c.Address.Role == "web" && (c.Desired.Proxy == nil || *c.Desired.Proxy != *p.Changes[i].Desired.Proxy || !slices.Equal(c.Desired.Networks(), []string{"berth-shop", ProxyNetwork})) {
			t.Errorf("%s: route %+v network %q", c.Address, c.Desired.Proxy, c.Desired.Network)
		}
	}
	if proxies != 2 {
		t.Errorf("%d proxy changes after the round trip, want 2", proxies)
	}
}
