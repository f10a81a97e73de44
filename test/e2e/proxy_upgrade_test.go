//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// upgradeTag is a second tag of the lab's kamal-proxy build, pushed by the
// test: the same manifest under another name, as a registry mirror or a
// rebuilt release would give.
const upgradeTag = "v0.9.2-upgrade"

// retagProxy puts the manifest of kamal-proxy:v0.9.2 under tag in the lab
// registry, through its HTTP API.
func retagProxy(t *testing.T, l *LabEnv, tag string) {
	t.Helper()
	base := "http://" + Registry + "/v2/kamal-proxy/manifests/"
	req, _ := http.NewRequest(http.MethodGet, base+"v0.9.2", nil)
	req.SetBasicAuth(l.RegistryUser, l.RegistryPassword)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET the v0.9.2 manifest: %s %v", resp.Status, err)
	}
	put, _ := http.NewRequest(http.MethodPut, base+tag, strings.NewReader(string(manifest)))
	put.SetBasicAuth(l.RegistryUser, l.RegistryPassword)
	put.Header.Set("Content-Type", resp.Header.Get("Content-Type"))
	presp, err := http.DefaultClient.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	presp.Body.Close()
	if presp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT the manifest as %s: %s", tag, presp.Status)
	}
}

// gapLoad is a client hitting /up on each NAME@HOST:PORT every 20 ms,
// recording the longest time between two answered requests.
type gapLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen map[string]*gapHits
}

type gapHits struct {
	requests, failures int
	longest            time.Duration // the longest time without an answer
	firstError         string
}

func startGapLoad(addrs ...string) *gapLoad {
	g := &gapLoad{stop: make(chan struct{}), seen: map[string]*gapHits{}}
	for _, addr := range addrs {
		h := &gapHits{}
		g.seen[addr] = h
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			c := &http.Client{Timeout: 2 * time.Second}
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			lastOK := time.Now()
			for {
				select {
				case <-g.stop:
					return
				case <-tick.C:
				}
				_, err := getUp(c, addr)
				now := time.Now()
				g.mu.Lock()
				h.requests++
				if err != nil {
					h.failures++
					if h.firstError == "" {
						h.firstError = now.Format("15:04:05.000 ") + err.Error()
					}
				} else {
					h.longest = max(h.longest, now.Sub(lastOK))
					lastOK = now
				}
				g.mu.Unlock()
			}
		}()
	}
	return g
}

func (g *gapLoad) end() map[string]*gapHits {
	close(g.stop)
	g.wg.Wait()
	return g.seen
}

// A proxy upgrade (v0.9.2 to a second tag of the same build) is a plan
// step per host, one host at a time, and every service's routes come
// back: two services keep answering on both hosts, with at most the gap
// the README states on one host at a time. The second service's route has
// tls = true (Let's Encrypt): berth sends kamal-proxy --tls with the ACME
// cache in the proxy's volume, and the cache survives the replacement.
func TestProxyUpgradeKeepsEveryService(t *testing.T) {
	l := Lab(t)
	a, b := proxyService(t, l, "pxua"), l.Service(t, "pxub")
	nameA, nameB := a+".test", b+".test"
	h1, h2 := addrs(t, l)
	config := func(svc, name, image string, auto bool) string {
		hcl := namedProxyConfig(l, svc, "v1", name)
		if auto {
			hcl = strings.Replace(hcl, fmt.Sprintf("host           = %q", name), fmt.Sprintf("host           = %q\n    tls            = true\n    tls_redirect   = false", name), 1)
			hcl = strings.Replace(hcl, fmt.Sprintf("http_port = %d", proxyPort), fmt.Sprintf("http_port = %d\n  https_port = %d", proxyPort, proxyHTTPSPort), 1)
		} else {
			hcl = strings.Replace(hcl, fmt.Sprintf("http_port = %d", proxyPort), fmt.Sprintf("http_port = %d\n  https_port = %d", proxyPort, proxyHTTPSPort), 1)
		}
		return strings.Replace(hcl, proxyImage, image, 1)
	}
	upgraded := Registry + "/kamal-proxy:" + upgradeTag
	retagProxy(t, l, upgradeTag)
	mustApply(t, l, l.WriteConfig(t, config(a, nameA, proxyImage, false)))
	mustApply(t, l, l.WriteConfig(t, config(b, nameB, proxyImage, true)))
	mustAnswer(t, nameA, "/", 200, "v1", h1, h2)
	mustAnswer(t, nameB, "/", 200, "v1", h1, h2) // tls_redirect = false: plain HTTP still answers

	// What berth sent for tls = true, as kamal-proxy keeps it.
	for _, h := range []string{"h1", "h2"} {
		list := l.MustSSH(t, h, "docker exec berth-proxy kamal-proxy list")
		if !strings.Contains(list, b+"-web") {
			t.Fatalf("%s: routes\n%s", h, list)
		}
		state := l.MustSSH(t, h, "docker cp berth-proxy:/home/kamal-proxy/.config/kamal-proxy/kamal-proxy.state - | tar -xOf -")
		for _, want := range []string{`"tls_enabled":true`, `"acme_cache_path":"/home/kamal-proxy/.config/kamal-proxy/certs"`, `"tls_redirect":false`} {
			if !strings.Contains(state, want) {
				t.Errorf("%s: kamal-proxy's state lacks %s:\n%.2000s", h, want, state)
			}
		}
		// A cached certificate, as Let's Encrypt would have left it.
		l.MustSSH(t, h, "mkdir -p /tmp/acme-"+b+"/certs && echo cached > /tmp/acme-"+b+"/certs/"+nameB+
			" && tar -C /tmp/acme-"+b+" -c certs | docker cp - berth-proxy:/home/kamal-proxy/.config/kamal-proxy/ && rm -rf /tmp/acme-"+b)
	}

	dirA := l.WriteConfig(t, config(a, nameA, upgraded, false))
	plan := l.Berth(t, dirA, "plan")
	if plan.Code != 0 || !strings.Contains(plan.Stdout, "h1/berth-proxy") || !strings.Contains(plan.Stdout, upgradeTag) {
		t.Fatalf("plan of the upgrade: %s", plan)
	}
	t.Logf("the upgrade's plan:\n%s", plan.Stdout)
	probes := []string{nameA + "@" + h1, nameA + "@" + h2, nameB + "@" + h1, nameB + "@" + h2}
	g := startGapLoad(probes...)
	time.Sleep(300 * time.Millisecond) // the load's warm-up, not synchronisation
	r := l.Berth(t, dirA, "apply", "--auto-approve")
	time.Sleep(500 * time.Millisecond)
	seen := g.end()
	if r.Code != 0 {
		t.Fatalf("apply the upgrade: %s", r)
	}
	t.Logf("apply:\n%s", r.Stdout)
	for _, h := range []string{"h1", "h2"} {
		if !strings.Contains(r.Stdout, h+"/berth-proxy") || !strings.Contains(r.Stdout, "serves every route again") {
			t.Errorf("the apply does not say that %s's proxy serves every route again", h)
		}
	}
	// One host at a time: h2's old proxy stops only after h1's new one serves every route.
	if !strings.Contains(plan.Stdout, "(wait: h1/berth-proxy/health), stop_old") {
		t.Errorf("the plan does not say that h2's proxy waits for h1's")
	}
	healthy, stop := -1, -1
	for i, line := range Lines(r.Stdout) {
		switch {
		case strings.Contains(line, "h1/berth-proxy") && strings.Contains(line, "serves every route again"):
			healthy = i
		case strings.Contains(line, "h2/berth-proxy") && strings.Contains(line, "stop_old") && strings.Contains(line, "started"):
			stop = i
		}
	}
	if healthy < 0 || stop < healthy {
		t.Errorf("h2's old proxy stopped (line %d) before h1's new one served every route (line %d)", stop, healthy)
	}
	var worst time.Duration
	for addr, h := range seen {
		t.Logf("%s: %d requests, %d failed, longest without an answer %s (first error: %s)", addr, h.requests, h.failures, h.longest.Round(time.Millisecond), h.firstError)
		worst = max(worst, h.longest)
		if h.requests < 20 {
			t.Errorf("%s: only %d requests", addr, h.requests)
		}
		if h.longest > maxProxyUpgradeGap {
			t.Errorf("%s: %s without an answer, more than the %s the README states", addr, h.longest.Round(time.Millisecond), maxProxyUpgradeGap)
		}
	}
	t.Logf("MEASURED proxy upgrade gap: longest %s without an answer", worst.Round(time.Millisecond))
	mustAnswer(t, nameA, "/", 200, "v1", h1, h2)
	mustAnswer(t, nameB, "/", 200, "v1", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		if ps := proxies(t, l, h); len(ps) == 0 || !strings.Contains(l.MustSSH(t, h, "docker inspect -f '{{.Config.Image}}' berth-proxy"), upgradeTag) {
			t.Errorf("%s does not run the upgraded proxy", h)
		}
		if got := l.MustSSH(t, h, "docker cp berth-proxy:/home/kamal-proxy/.config/kamal-proxy/certs/"+nameB+" - | tar -xOf -"); strings.TrimSpace(got) != "cached" {
			t.Errorf("%s: the ACME cache after the replacement: %q", h, got)
		}
	}
	// The other service finds the proxy upgraded and changes nothing.
	if r := l.Berth(t, l.WriteConfig(t, config(b, nameB, upgraded, true)), "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("the second service's plan after the upgrade: %s", r)
	}
}

// maxProxyUpgradeGap is the longest time a host may answer nothing while
// its proxy is replaced (README, "Upgrading the proxy"): the acceptance's
// bound, generous against the shared machine's noise (measured 1.3-1.4 s).
const maxProxyUpgradeGap = 5 * time.Second
