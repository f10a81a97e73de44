//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// proxyImage is the real kamal-proxy that the lab pushes.
const proxyImage = Registry + "/kamal-proxy:v0.9.2"

// proxyPort is the host port of these tests, proxied or not: not 80, which
// other tests use, so that they can share the lab.
const proxyPort = 8480

// proxiedConfig is a web role on h1 and h2, behind the proxy or (proxied
// false) publishing port 80 itself, with the same health check either way.
func proxiedConfig(l *LabEnv, service, version string, proxied bool) string {
	access := fmt.Sprintf(`ports = ["%d:8080"]`, proxyPort)
	if proxied {
		access = `proxy {
    app_port       = 8080
    deploy_timeout = "10s"
    drain_timeout  = "5s"
  }`
	}
	return fmt.Sprintf(`
service %q {
  image = "%s/app"
}
%s
%s
proxy {
  image     = %q
  http_port = %d
}
role "web" {
  primary = true
  hosts   = [host.h1, host.h2]
  cmd     = ["/app", "serve"]
  healthcheck {
    cmd      = ["/app", "check"]
    interval = "1s"
    deadline = "15s"
  }
  %s
}
deploy {
  version      = %q
  stop_timeout = "5s"
}
`, service, Registry, l.RegistryBlock(), l.HostBlocks("h1", "h2"), proxyImage, proxyPort, access, version)
}

// addrs are h1's and h2's addresses with proxyPort.
func addrs(t *testing.T, l *LabEnv) (string, string) {
	return fmt.Sprintf("%s:%d", l.Host(t, "h1").Addr, proxyPort), fmt.Sprintf("%s:%d", l.Host(t, "h2").Addr, proxyPort)
}

// mustServeOn checks that every address answers version.
func mustServeOn(t *testing.T, version string, addrs ...string) {
	t.Helper()
	for _, addr := range addrs {
		Eventually(t, 10*time.Second, func() error {
			got, err := serving(addr)
			if err != nil {
				return err
			}
			if got != version {
				return fmt.Errorf("%s serves %q, want %s", addr, got, version)
			}
			return nil
		})
	}
}

// proxyService returns a unique service name; at the end of the test its
// containers go (Service), then the proxies, their network and state volume, so
// that port 80 is free for the next test and no stale route survives.
func proxyService(t *testing.T, l *LabEnv, prefix string) string {
	t.Helper()
	t.Cleanup(func() {
		for _, h := range []string{"h1", "h2"} {
			// Every proxy container, retained ones too: the proxy belongs to no
			// service, so the service's own clean-up leaves them.
			if _, err := l.SSH(t, h, "docker ps -aq --filter label=berth.proxy=true | xargs -r docker rm -f >/dev/null 2>&1; docker rm -f berth-proxy >/dev/null 2>&1; docker network rm berth >/dev/null 2>&1; docker volume rm berth-proxy-config >/dev/null 2>&1; true"); err != nil {
				t.Errorf("proxy clean-up on %s: %v", h, err)
			}
		}
	})
	return l.Service(t, prefix)
}

// load is a client hitting GET /up on each address every 20 ms. An
// address NAME@HOST:PORT sends the Host header NAME.
type load struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	hits map[string]*hits
}

type hits struct {
	requests, failures int
	errors             []string // the first few failures
	versions           []string // the versions answered, in order, repeats folded
}

func startLoad(addrs ...string) *load {
	ld := &load{stop: make(chan struct{}), hits: map[string]*hits{}}
	for _, addr := range addrs {
		h := &hits{}
		ld.hits[addr] = h
		ld.wg.Add(1)
		go func() {
			defer ld.wg.Done()
			c := &http.Client{Timeout: 2 * time.Second}
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ld.stop:
					return
				case <-tick.C:
				}
				version, err := getUp(c, addr)
				ld.mu.Lock()
				h.requests++
				if err != nil {
					h.failures++
					if len(h.errors) < 5 {
						h.errors = append(h.errors, time.Now().Format("15:04:05.000")+" "+err.Error())
					}
				} else if n := len(h.versions); n == 0 || h.versions[n-1] != version {
					h.versions = append(h.versions, version)
				}
				ld.mu.Unlock()
			}
		}()
	}
	return ld
}

func getUp(c *http.Client, addr string) (string, error) {
	name, hostPort, named := strings.Cut(addr, "@")
	if !named {
		hostPort = addr
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+hostPort+"/up", nil)
	if err != nil {
		return "", err
	}
	if named {
		req.Host = name
	}
	return bodyOK(c.Do(req))
}

// bodyOK is the trimmed body of a 200 response, else an error.
func bodyOK(resp *http.Response, err error) (string, error) {
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s", resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// end stops the client and returns what each address saw.
func (ld *load) end() map[string]*hits {
	close(ld.stop)
	ld.wg.Wait()
	return ld.hits
}

// mustNotFail checks that every address answered every request, enough of them.
// applyUnderLoad runs berth apply --auto-approve of dir while a client hits
// every address, with a few requests before it starts and after it ends,
// and returns the apply's result and what the client saw.
func applyUnderLoad(t *testing.T, l *LabEnv, dir string, addrs ...string) (Result, map[string]*hits) {
	t.Helper()
	ld := startLoad(addrs...)
	time.Sleep(300 * time.Millisecond) // a load's warm-up, not synchronisation: the client keeps a steady rate
	r := l.Berth(t, dir, "apply", "--auto-approve")
	time.Sleep(300 * time.Millisecond)
	return r, ld.end()
}

// mustCloseTheBarrierUnderLoad wants a failed apply (exit 1) whose error
// says every text, no failed request, and only v1 answered at every address.
func mustCloseTheBarrierUnderLoad(t *testing.T, r Result, seen map[string]*hits, texts ...string) {
	t.Helper()
	if r.Code != 1 {
		t.Fatalf("want exit 1: %s", r)
	}
	for _, want := range append([]string{"barrier closed", "h1/web"}, texts...) {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	mustNotFail(t, seen)
	for addr, h := range seen {
		if !slices.Equal(h.versions, []string{"v1"}) {
			t.Errorf("%s answered versions %v, want only v1", addr, h.versions)
		}
	}
}

func mustNotFail(t *testing.T, seen map[string]*hits) {
	t.Helper()
	for addr, h := range seen {
		t.Logf("%s: %d requests, %d failed, versions %v", addr, h.requests, h.failures, h.versions)
		if h.failures > 0 {
			t.Errorf("%s: %d of %d requests failed: %s", addr, h.failures, h.requests, strings.Join(h.errors, "; "))
		}
		if h.requests < 20 {
			t.Errorf("%s: only %d requests: the client did not run during the apply", addr, h.requests)
		}
	}
}

// webContainers lists the web role's running containers on a host with their published ports.
func webPorts(t *testing.T, l *LabEnv, host, service string) map[string]string {
	t.Helper()
	out := l.MustSSH(t, host, fmt.Sprintf(`docker ps --filter label=berth.service=%s --filter label=berth.role=web --format '{{.Names}} {{.Ports}}'`, service))
	ports := map[string]string{}
	for _, line := range Lines(out) {
		name, p, _ := strings.Cut(line, " ")
		ports[name] = p
	}
	return ports
}

func TestProxyRedeployDropsNoRequest(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "px")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		for name, p := range webPorts(t, l, h, svc) {
			if strings.Contains(p, "->") {
				t.Errorf("%s: %s publishes %s; a proxied role publishes no port", h, name, p)
			}
		}
		if got := l.ContainersByLabel(t, h, "berth.proxy=true"); len(got) != 1 || got[0].Name != "berth-proxy" || got[0].State != "running" {
			t.Errorf("%s: proxy containers %+v", h, got)
		}
	}

	dir := l.WriteConfig(t, proxiedConfig(l, svc, "v2", true))
	ld := startLoad(h1, h2)
	time.Sleep(300 * time.Millisecond) // a few requests before the deploy starts
	r := mustApply(t, l, dir)
	time.Sleep(300 * time.Millisecond) // and a few after it ended
	seen := ld.end()
	mustNotFail(t, seen)
	for _, addr := range []string{h1, h2} {
		if v := seen[addr].versions; !slices.Equal(v, []string{"v1", "v2"}) {
			t.Errorf("%s answered versions %v, want v1 then v2", addr, v)
		}
	}
	for _, want := range []string{"h1/web                       switch    done", "proxy routes " + svc + "-web to " + svc + "-web-v2"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r.Stdout)
		}
	}
	mustBeConverged(t, l, dir)
	// status shows the proxies as claimed and what they route to.
	st := l.Berth(t, dir, "status")
	if st.Code != 0 {
		t.Fatalf("status: %s", st)
	}
	for _, h := range []string{"h1", "h2"} {
		want := fmt.Sprintf("  %s  %s-web  host *, path / -> %s-web-v2 (", h, svc, svc)
		if !strings.Contains(st.Stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.Stdout)
		}
	}
	if strings.Contains(st.Stdout, "UNCLAIMED") || strings.Contains(st.Stdout, "DRIFT") {
		t.Errorf("status marks something:\n%s", st.Stdout)
	}
	// The old container was stopped only after the proxy switched away from it.
	for _, h := range []string{"h1", "h2"} {
		if got := running(t, l, h, svc, "web"); !slices.Equal(got, []string{"v2"}) {
			t.Errorf("%s web runs %v", h, got)
		}
	}
}

func TestProxyBadPrimaryKeepsTheOldTarget(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxbad")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)

	t0 := time.Now()
	bad := l.WriteConfig(t, proxiedConfig(l, svc, "broken", true))
	r, seen := applyUnderLoad(t, l, bad, h1, h2)
	mustCloseTheBarrierUnderLoad(t, r, seen, svc+"-web-broken", "exited")
	if d := time.Since(t0); d > 9*time.Second {
		t.Errorf("the failed apply took %s: it waited for the proxy's deploy timeout instead of seeing the container exit", d)
	}
	for _, h := range []string{"h1", "h2"} {
		if got := running(t, l, h, svc, "web"); !slices.Equal(got, []string{"v1"}) {
			t.Errorf("%s web runs %v", h, got)
		}
	}
	for _, name := range startedSince(t, l, "h2", svc, t0) {
		if strings.HasSuffix(name, "-broken") {
			t.Errorf("h2 started %s behind a closed barrier", name)
		}
	}
}

func TestProxyRemovedReturnsToPublishedPorts(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxoff")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)

	dir := l.WriteConfig(t, proxiedConfig(l, svc, "v1", false))
	r := l.Berth(t, dir, "plan", "--detailed-exitcode")
	if r.Code != 2 {
		t.Fatalf("plan: %s", r)
	}
	for _, want := range []string{"h1/berth-proxy", "remove", "ports", "80:8080", "proxy", "(no role on h1 is proxied)", "h2/berth-proxy"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.Stdout)
		}
	}
	mustApply(t, l, dir)
	mustBeConverged(t, l, dir)
	mustServeOn(t, "v1", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		if got := l.ContainersByLabel(t, h, "berth.proxy=true"); len(got) != 0 {
			t.Errorf("%s keeps the proxy: %+v", h, got)
		}
		ports := webPorts(t, l, h, svc)
		if len(ports) != 1 {
			t.Fatalf("%s runs web containers %v", h, ports)
		}
		for name, p := range ports {
			if !strings.Contains(p, fmt.Sprintf(":%d->8080/tcp", proxyPort)) {
				t.Errorf("%s: %s publishes %q, want %d->8080", h, name, p, proxyPort)
			}
		}
	}
}

func TestProxyAddedToAPublishingRole(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxon")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", false)))
	mustServeOn(t, "v1", h1, h2)

	dir := l.WriteConfig(t, proxiedConfig(l, svc, "v2", true))
	r := l.Berth(t, dir, "plan")
	for _, want := range []string{"h1/berth-proxy", "create", "ports", "network", "proxy", svc + "-web → :8080"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.Stdout)
		}
	}
	mustApply(t, l, dir)
	mustBeConverged(t, l, dir)
	mustServeOn(t, "v2", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		for name, p := range webPorts(t, l, h, svc) {
			if strings.Contains(p, "->") {
				t.Errorf("%s: %s still publishes %s", h, name, p)
			}
		}
	}
}

// A bad build in the same apply that moves a role behind the proxy: the
// old container gets its port back from the new proxy and serves again.
func TestProxyAddedWithABadBuildGivesThePortBack(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxonbad")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", false)))
	mustServeOn(t, "v1", h1, h2)
	r := l.Berth(t, l.WriteConfig(t, proxiedConfig(l, svc, "broken", true)), "apply", "--auto-approve")
	if r.Code != 1 || !strings.Contains(r.Stderr, "barrier closed") {
		t.Fatalf("want the barrier closed: %s", r)
	}
	mustServeOn(t, "v1", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		for _, c := range l.ContainersByLabel(t, h, "berth.proxy=true") {
			if c.State == "running" {
				t.Errorf("%s: the proxy %s runs after the barrier closed", h, c.Name)
			}
		}
	}
}

// A bad build in the same apply that takes a role from behind the proxy
// back to its own port: the old container and its proxy serve again.
func TestProxyRemovedWithABadBuildServesThroughTheProxyAgain(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxoffbad")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)
	r := l.Berth(t, l.WriteConfig(t, proxiedConfig(l, svc, "broken", false)), "apply", "--auto-approve")
	if r.Code != 1 || !strings.Contains(r.Stderr, "barrier closed") {
		t.Fatalf("want the barrier closed: %s", r)
	}
	mustServeOn(t, "v1", h1, h2)
	for _, h := range []string{"h1", "h2"} {
		if got := l.ContainersByLabel(t, h, "berth.proxy=true"); len(got) != 1 || got[0].State != "running" {
			t.Errorf("%s: proxy containers %+v, want berth-proxy running", h, got)
		}
	}
}

func TestProxyReplacedKeepsItsRoutes(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxmove")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)

	// Another host port replaces the proxy container; the new one takes
	// the routes over from the state volume, with no redeploy of the app.
	moved := strings.Replace(proxiedConfig(l, svc, "v1", true), fmt.Sprintf("http_port = %d", proxyPort), fmt.Sprintf("http_port = %d", proxyPort+1), 1)
	dir := l.WriteConfig(t, moved)
	r := l.Berth(t, dir, "plan")
	if !strings.Contains(r.Stdout, "~ h1/berth-proxy") || !strings.Contains(r.Stdout, fmt.Sprintf("%d:80 → %d:80", proxyPort, proxyPort+1)) ||
		strings.Contains(r.Stdout, "~ h1/web") {
		t.Errorf("plan:\n%s", r.Stdout)
	}
	mustApply(t, l, dir)
	mustBeConverged(t, l, dir)
	mustServeOn(t, "v1", fmt.Sprintf("%s:%d", l.Host(t, "h1").Addr, proxyPort+1), fmt.Sprintf("%s:%d", l.Host(t, "h2").Addr, proxyPort+1))
}

// TestProxyRedeployTime compares a redeploy of two hosts behind the proxy
// with the same redeploy publishing the port directly, interleaved: the
// proxy's own health check must not add waiting (median within 1.3x).
func TestProxyRedeployTime(t *testing.T) {
	l := Lab(t)
	const runs = 5
	svcs := map[bool]string{false: proxyService(t, l, "porttime"), true: proxyService(t, l, "pxtime")}
	// Both run at once: the direct one publishes the next port.
	config := func(svc, version string, proxied bool) string {
		return strings.Replace(proxiedConfig(l, svc, version, proxied), fmt.Sprintf(`"%d:8080"`, proxyPort), fmt.Sprintf(`"%d:8080"`, proxyPort+1), 1)
	}
	for _, proxied := range []bool{false, true} {
		mustApply(t, l, l.WriteConfig(t, config(svcs[proxied], "v1", proxied)))
	}
	times := map[bool][]time.Duration{}
	versions := []string{"v2", "v3"}
	for i := range runs {
		for _, proxied := range []bool{false, true} {
			dir := l.WriteConfig(t, config(svcs[proxied], versions[i%2], proxied))
			start := time.Now()
			mustApply(t, l, dir)
			times[proxied] = append(times[proxied], time.Since(start))
		}
	}
	med := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	direct, proxied := med(times[false]), med(times[true])
	ratio := float64(proxied) / float64(direct)
	t.Logf("redeploy of 2 hosts, median of %d: published ports %s %v, behind kamal-proxy %s %v (%.2fx)", runs,
		direct.Round(time.Millisecond), times[false], proxied.Round(time.Millisecond), times[true], ratio)
	if ratio > 1.3 {
		t.Errorf("a proxied redeploy takes %.2fx the unproxied one (%s vs %s), want at most 1.3x", ratio, proxied, direct)
	}
}
