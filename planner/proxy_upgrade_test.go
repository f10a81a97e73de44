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
