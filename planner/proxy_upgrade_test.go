package planner

import (
	"strings"
	"testing"
)

func TestProxyUpgradeGoesHostByHost(t *testing.T) {
	old := proxiedConfig("v1")
	cfg := proxiedConfig("v1")
	cfg.Proxy.Image = "10.77.0.1:5000/kamal-proxy:v0.9.3"
	d := withProxies(deployed(old, digestV1), old)
	cfg.Proxy.Image += "@" + digestProxy // the same build under a second tag
	p := proxyBuild(t, cfg, d, Options{})
	got := summary(p)
	if !strings.Contains(got, "h1/berth-proxy replace") || !strings.Contains(got, "h2/berth-proxy replace") {
		t.Fatalf("a new proxy image:\n%s", got)
	}
	mustDepend(t, p.Graph, "h2/berth-proxy/stop_old", "h1/berth-proxy/health")
	if s, _ := p.Graph.Step("h1/berth-proxy/stop_old"); len(s.DependsOn) != 1 {
		t.Errorf("the first host's proxy waits for %v", s.DependsOn)
	}
}

func TestProxyRebootReplacesTheProxyOnly(t *testing.T) {
	cfg := proxiedConfig("v1")
	live := func() *fakeHosts { return withProxies(deployed(cfg, digestV1), cfg) }
	p := proxyBuild(t, cfg, live(), Options{Targets: []string{"proxy"}, Replace: []string{"proxy"}})
	if got := summary(p); !strings.HasPrefix(got, "h1/berth-proxy replace") || !strings.Contains(got, "h2/berth-proxy replace") || strings.Contains(got, "web replace") {
		t.Fatalf("reboot:\n%s", got)
	}
	mustDepend(t, p.Graph, "h2/berth-proxy/stop_old", "h1/berth-proxy/health")
	p = proxyBuild(t, cfg, live(), Options{Targets: []string{"proxy"}, Replace: []string{"proxy"}, ProxyAtOnce: true})
	if s, _ := p.Graph.Step("h2/berth-proxy/stop_old"); len(s.DependsOn) != 1 {
		t.Errorf("at once: h2's proxy waits for %v", s.DependsOn)
	}
	p = proxyBuild(t, cfg, live(), Options{Replace: []string{"h1"}})
	if got := summary(p); strings.Contains(got, "berth-proxy replace") || !strings.Contains(got, "h1/web replace") {
		t.Errorf("--replace h1 touches the proxy:\n%s", got)
	}
}
