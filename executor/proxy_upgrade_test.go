package executor

import (
	"strings"
	"testing"
)

func TestProxyUpgradeThatLosesRoutesGoesBack(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	cfg := proxiedConfig("v1")
	cfg.Proxy.Image = "10.77.0.1:5000/kamal-proxy:v0.9.3"
	f.loseOn = "v0.9.3"
	_, err := applyProxied(t, f, cfg)
	if err == nil || !strings.Contains(err.Error(), "the new proxy lost the routes shop-web") {
		t.Fatalf("apply of a proxy that lost its routes: %v", err)
	}
	// h1 went back to its old proxy; h2's was never touched (host by host).
	if !f.has("h1 start berth-proxy") || f.has("h2 stop berth-proxy") {
		t.Errorf("events: %v", f.events[f.mark:])
	}
	for _, h := range []string{"h1", "h2"} {
		var running []string
		for _, c := range f.hosts[h].containers {
			if strings.HasPrefix(c.name, "berth-proxy") && c.state == "running" {
				running = append(running, c.name+" "+tagOf(c.image))
			}
		}
		if len(running) != 1 || !strings.HasSuffix(running[0], "v0.9.2") {
			t.Errorf("%s: running proxies %v, want the old one", h, running)
		}
	}
}
