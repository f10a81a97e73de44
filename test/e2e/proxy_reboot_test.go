//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// berth proxy reboot --rolling replaces the proxy host by host and keeps
// its routes; berth proxy logs shows kamal-proxy's request log per host.
func TestProxyRebootAndLogs(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxrb")
	name := svc + ".test"
	dir := l.WriteConfig(t, namedProxyConfig(l, svc, "v1", name))
	mustApply(t, l, dir)
	h1, h2 := addrs(t, l)
	mustAnswer(t, name, "/", 200, "v1", h1, h2)
	before := map[string]string{}
	for _, h := range []string{"h1", "h2"} {
		before[h] = proxies(t, l, h)[0].ID
	}
	g := startGapLoad(name+"@"+h1, name+"@"+h2)
	time.Sleep(300 * time.Millisecond) // the load's warm-up, not synchronisation
	r := l.Berth(t, dir, "proxy", "reboot", "--rolling", "--auto-approve")
	time.Sleep(500 * time.Millisecond)
	seen := g.end()
	if r.Code != 0 {
		t.Fatalf("proxy reboot: %s", r)
	}
	if !strings.Contains(r.Stdout, "(wait: h1/berth-proxy/health), stop_old") {
		t.Errorf("the reboot is not host by host:\n%s", r.Stdout)
	}
	for addr, h := range seen {
		t.Logf("%s: %d requests, %d failed, longest without an answer %s", addr, h.requests, h.failures, h.longest.Round(time.Millisecond))
		if h.longest > maxProxyUpgradeGap {
			t.Errorf("%s: %s without an answer", addr, h.longest)
		}
	}
	for _, h := range []string{"h1", "h2"} {
		now := proxies(t, l, h)
		var running string
		for _, c := range now {
			if c.State == "running" {
				running = c.ID
			}
		}
		if running == "" || running == before[h] {
			t.Errorf("%s: the proxy was not replaced (%+v)", h, now)
		}
	}
	mustAnswer(t, name, "/", 200, "v1", h1, h2)
	logs := l.Berth(t, dir, "proxy", "logs", "--lines", "20")
	if logs.Code != 0 || !strings.Contains(logs.Stdout, "h1 berth-proxy") || !strings.Contains(logs.Stdout, "h2 berth-proxy") || !strings.Contains(logs.Stdout, name) {
		t.Errorf("proxy logs: %s", logs)
	}
	if r := l.Berth(t, dir, "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("plan after the reboot: %s", r)
	}
}
