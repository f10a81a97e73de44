//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// namedProxyConfig is proxiedConfig (proxied) with the web role routing
// only the Host header name.
func namedProxyConfig(l *LabEnv, service, version, name string) string {
	return strings.Replace(proxiedConfig(l, service, version, true), "app_port       = 8080",
		fmt.Sprintf("app_port       = 8080\n    host           = %q", name), 1)
}

// getNamed is GET path on addr with the Host header name: status and body.
func getNamed(addr, name, path string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	if name != "" {
		req.Host = name
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}

// mustAnswer waits until GET path on every address with Host name answers
// code with a body containing want.
func mustAnswer(t *testing.T, name, path string, code int, want string, addrs ...string) {
	t.Helper()
	mustAnswerWithin(t, 10*time.Second, name, path, code, want, addrs...)
}

// mustAnswerWithin is mustAnswer with a deadline of its own.
func mustAnswerWithin(t *testing.T, d time.Duration, name, path string, code int, want string, addrs ...string) {
	t.Helper()
	for _, addr := range addrs {
		Eventually(t, d, func() error {
			got, body, err := getNamed(addr, name, path)
			if err != nil {
				return err
			}
			if got != code || !strings.Contains(body, want) {
				return fmt.Errorf("%s (Host %s) GET %s: %d %.200q, want %d with %q", addr, name, path, got, body, code, want)
			}
			return nil
		})
	}
}

func proxies(t *testing.T, l *LabEnv, host string) []Container {
	t.Helper()
	return l.ContainersByLabel(t, host, "berth.proxy=true")
}

// Two services (two configuration directories) share the proxy of the
// same two hosts, routed by Host header: neither drops a request while
// the other redeploys or fails to; the proxy stays until the last leaves.
func TestProxySharedByTwoServices(t *testing.T) {
	l := Lab(t)
	a, b := proxyService(t, l, "pxsa"), l.Service(t, "pxsb")
	nameA, nameB := a+".test", b+".test"
	h1, h2 := addrs(t, l)
	dirA := func(v string) string { return l.WriteConfig(t, namedProxyConfig(l, a, v, nameA)) }
	dirB := func(v string) string { return l.WriteConfig(t, namedProxyConfig(l, b, v, nameB)) }
	mustApply(t, l, dirA("v1"))
	mustApply(t, l, dirB("v1"))
	for _, h := range []string{"h1", "h2"} {
		if got := proxies(t, l, h); len(got) != 1 || got[0].State != "running" {
			t.Fatalf("%s: proxy containers %+v, want one berth-proxy", h, got)
		}
	}
	mustAnswer(t, nameA, "/", 200, "v1", h1, h2)
	mustAnswer(t, nameB, "/", 200, "v1", h1, h2)

	probes := []string{nameA + "@" + h1, nameA + "@" + h2, nameB + "@" + h1, nameB + "@" + h2}
	ld := startLoad(probes...)
	time.Sleep(300 * time.Millisecond) // a load's warm-up, not synchronisation
	mustApply(t, l, dirA("v2"))
	mustApply(t, l, dirB("v2"))
	bad := l.Berth(t, dirA("broken"), "apply", "--auto-approve")
	time.Sleep(300 * time.Millisecond)
	seen := ld.end()
	if bad.Code != 1 || !strings.Contains(bad.Stderr, "barrier closed") {
		t.Errorf("the broken deploy of %s: %s", a, bad)
	}
	mustNotFail(t, seen)
	for _, p := range probes {
		if v := seen[p].versions; !slices.Equal(v, []string{"v1", "v2"}) {
			t.Errorf("%s answered versions %v, want v1 then v2", p, v)
		}
	}

	// The first service leaves: the other keeps serving through the same proxy.
	before := map[string]string{}
	for _, h := range []string{"h1", "h2"} {
		before[h] = proxies(t, l, h)[0].ID
	}
	if r := l.Berth(t, dirA("v2"), "destroy", "--auto-approve"); r.Code != 0 {
		t.Fatalf("destroy %s: %s", a, r)
	} else if strings.Contains(r.Stdout, "berth-proxy") || !strings.Contains(r.Stdout, "proxy no longer routes "+a+"-web") {
		t.Errorf("the destroy of %s touches the shared proxy, or not its own route:\n%s", a, r.Stdout)
	}
	t.Logf("h1's routes after %s left:\n%s", a, l.MustSSH(t, "h1", "docker exec berth-proxy kamal-proxy list"))
	mustAnswer(t, nameB, "/", 200, "v2", h1, h2)
	// A removed route may still answer (504, its target gone) while
	// kamal-proxy drains it; it must be gone within its drain and target
	// timeouts.
	mustAnswerWithin(t, 45*time.Second, nameA, "/", 404, "", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		if got := proxies(t, l, h); len(got) != 1 || got[0].ID != before[h] || got[0].State != "running" {
			t.Errorf("%s: proxy containers %+v after %s left, want %s running", h, got, a, before[h])
		}
	}
	mustBeConverged(t, l, dirB("v2"))

	// The last one leaves: the proxy goes, through a plan that says so.
	r := l.Berth(t, dirB("v2"), "destroy", "--auto-approve")
	if r.Code != 0 || !strings.Contains(r.Stdout, "h1/berth-proxy") || !strings.Contains(r.Stdout, "h2/berth-proxy") {
		t.Fatalf("destroy %s: %s", b, r)
	}
	for _, h := range []string{"h1", "h2"} {
		if got := proxies(t, l, h); len(got) != 0 {
			t.Errorf("%s keeps the proxy after the last service left: %+v", h, got)
		}
	}
}

// Two services claiming the same host name and path: the second plan is
// refused, naming both.
func TestProxySameRouteOfTwoServicesIsRefused(t *testing.T) {
	l := Lab(t)
	a, b := proxyService(t, l, "pxca"), l.Service(t, "pxcb")
	mustApply(t, l, l.WriteConfig(t, namedProxyConfig(l, a, "v1", "same.test")))
	r := l.Berth(t, l.WriteConfig(t, namedProxyConfig(l, b, "v1", "same.test")), "plan")
	if r.Code != 1 || !strings.Contains(r.Stderr, b+"-web and "+a+"-web (another service) both claim host same.test, path /") {
		t.Fatalf("want the plan refused naming both: %s", r)
	}
}

// Maintenance: 503 with the message, through a redeploy; off: 200.
func TestProxyMaintenance(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxmnt")
	h1, h2 := addrs(t, l)
	const msg = "Back at six"
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)
	dir := l.WriteConfig(t, proxiedConfig(l, svc, "v2", true))

	on := l.Berth(t, dir, "maintenance", "on", "--message", msg)
	if on.Code != 0 || !strings.Contains(on.Stdout, "h1  "+svc+"-web  in maintenance") || !strings.Contains(on.Stdout, "h2  "+svc+"-web  in maintenance") {
		t.Fatalf("maintenance on: %s", on)
	}
	mustAnswer(t, "", "/", 503, msg, h1, h2)
	st := l.Berth(t, dir, "status")
	if !strings.Contains(st.Stdout, "MAINTENANCE") {
		t.Errorf("status does not show the maintenance:\n%s", st.Stdout)
	}

	// A redeploy keeps it: the route moves to v2 and stays stopped.
	mustApply(t, l, dir)
	mustAnswer(t, "", "/", 503, msg, h1, h2)
	st = l.Berth(t, dir, "status")
	for _, h := range []string{"h1", "h2"} {
		if want := fmt.Sprintf("  %s  %s-web  host *, path / -> %s-web-v2 (", h, svc, svc); !strings.Contains(st.Stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.Stdout)
		}
	}

	if off := l.Berth(t, dir, "maintenance", "off"); off.Code != 0 {
		t.Fatalf("maintenance off: %s", off)
	}
	mustAnswer(t, "", "/", 200, "v2", h1, h2)
	if st = l.Berth(t, dir, "status"); strings.Contains(st.Stdout, "MAINTENANCE") {
		t.Errorf("status shows a maintenance after off:\n%s", st.Stdout)
	}
	audit := l.Berth(t, dir, "audit")
	for _, want := range []string{"maintenance on", "maintenance off"} {
		if !strings.Contains(audit.Stdout, want) {
			t.Errorf("audit lacks %q:\n%s", want, audit.Stdout)
		}
	}
}
