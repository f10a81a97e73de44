//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/testcert"
)

// kamalApp starts, by hand over SSH, what Kamal 2 would run for service:
// web on h1 and h2 publishing port 80 (proxy: false), a worker on h3 and
// an accessory "cache" on h3, with Kamal's labels and names and on its
// network "kamal", version k1. It returns the Kamal configuration of it.
func kamalApp(t *testing.T, l *LabEnv, service string) string {
	t.Helper()
	return kamalAppOn(t, l, service, kamalShape{})
}

// kamalShape is how kamalAppOn runs web: proxied, behind Kamal's proxy
// (container kamal-proxy on network kamal, publishing port 80, its route
// SERVICE-web deployed as Kamal deploys it) instead of publishing port 80;
// with tls too, the route has HTTPS for tlsName with that certificate
// (kamal-proxy publishes its 443 on proxyHTTPSPort), as Kamal's
// `ssl: {certificate_pem, private_key_pem}` deploys it.
type kamalShape struct {
	proxied bool
	tls     *testcert.Set
	tlsName string
}

// kamalAppOn is kamalApp in the shape s.
func kamalAppOn(t *testing.T, l *LabEnv, service string, s kamalShape) string {
	t.Helper()
	proxied := s.proxied
	t.Cleanup(func() {
		for _, h := range []string{"h1", "h2", "h3"} {
			cmd := fmt.Sprintf("docker ps -aq --filter label=service=%[1]s | xargs -r docker rm -f >/dev/null; docker ps -aq --filter label=service=%[1]s-cache | xargs -r docker rm -f >/dev/null; docker rm -f kamal-proxy >/dev/null 2>&1; docker volume rm kamal-proxy-config >/dev/null 2>&1; docker network rm kamal >/dev/null 2>&1; true", shellQuote(service))
			if _, err := l.SSH(t, h, cmd); err != nil {
				t.Errorf("kamal clean-up on %s: %v", h, err)
			}
		}
	})
	img := Registry + "/app:v1"
	run := func(host, name, labels, args string) {
		l.Pull(t, host, img)
		l.MustSSH(t, host, fmt.Sprintf("docker network create kamal >/dev/null 2>&1; docker run -d --name %s --network kamal --restart unless-stopped %s %s >/dev/null", name, labels, args))
	}
	role := func(r string) string {
		return fmt.Sprintf("--label service=%s --label role=%s --label destination", service, r)
	}
	web := "-p 80:8080 " + img + " /app serve"
	if proxied {
		web = img + " /app serve"
	}
	for _, h := range []string{"h1", "h2"} {
		if proxied {
			l.Pull(t, h, proxyImage)
			run(h, "kamal-proxy", fmt.Sprintf("-p 80:80 -p %d:443 -v kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy", proxyHTTPSPort), proxyImage)
		}
		run(h, service+"-web-k1", role("web"), web)
		if proxied {
			l.MustSSH(t, h, fmt.Sprintf("docker exec kamal-proxy kamal-proxy deploy %[1]s-web --target $(docker ps -q --filter name=^%[1]s-web-k1$):8080 --health-check-path /up --deploy-timeout 20s%[2]s >/dev/null", service, kamalTLS(t, l, h, service, s)))
		}
	}
	run("h3", service+"-worker-k1", role("worker"), img+" /app work")
	l.Pull(t, "h3", Registry+"/cache:7")
	run("h3", service+"-cache", "--label service="+service+"-cache", "-p 6379:6379 "+Registry+"/cache:7")
	return kamalYML(t, l, service, s)
}

// kamalTLS copies the certificate and key of s into kamal-proxy on host,
// where Kamal keeps them, and returns the route's TLS flags ("" without).
func kamalTLS(t *testing.T, l *LabEnv, host, service string, s kamalShape) string {
	t.Helper()
	if s.tls == nil {
		return ""
	}
	dir := "/home/kamal-proxy/.config/kamal-proxy/kamal-tls-" + service // in kamal-proxy's volume
	tmp := "/tmp/" + service + "-tls"
	l.MustSSH(t, host, fmt.Sprintf("rm -rf %[1]s && mkdir -p %[1]s && printf '%%s' %[2]s >%[1]s/cert.pem && printf '%%s' %[3]s >%[1]s/key.pem && chmod 755 %[1]s && chmod 644 %[1]s/*.pem && docker cp %[1]s kamal-proxy:%[4]s && rm -rf %[1]s",
		tmp, shellQuote(string(s.tls.Cert)), shellQuote(string(s.tls.Key)), dir))
	return fmt.Sprintf(" --host %s --tls --tls-certificate-path %[2]s/cert.pem --tls-private-key-path %[2]s/key.pem", s.tlsName, dir)
}

// kamalYML is the Kamal configuration of what kamalAppOn starts.
func kamalYML(t *testing.T, l *LabEnv, service string, s kamalShape) string {
	t.Helper()
	webAccess := `
    proxy: false
    options:
      publish: "80:8080"`
	if s.proxied {
		webAccess = ""
	}
	proxyTLS := ""
	if s.tls != nil {
		proxyTLS = fmt.Sprintf(`
  host: %s
  ssl:
    certificate_pem: KTLS_CERT
    private_key_pem: KTLS_KEY`, s.tlsName)
	}
	return fmt.Sprintf(`service: %[1]s
image: app
proxy:
  app_port: 8080
  healthcheck:
    path: /up%[9]s
deploy_timeout: 20
drain_timeout: 5
servers:
  web:
    hosts: [%[2]s, %[3]s]
    cmd: /app serve%[8]s
  worker:
    hosts: [%[4]s]
    cmd: /app work
registry:
  server: %[5]s
  username: %[6]s
  password: [REGISTRY_PASSWORD]
accessories:
  cache:
    image: %[5]s/cache:7
    host: %[4]s
    port: "6379"
ssh:
  user: root
  keys: [%[7]s]
  config: ssh_config
builder:
  arch: amd64
`, service, l.Host(t, "h1").Addr, l.Host(t, "h2").Addr, l.Host(t, "h3").Addr, Registry, l.RegistryUser, l.KeyPath, webAccess, proxyTLS)
}

// importKamal writes config/deploy.yml and an OpenSSH config that names
// the lab's known_hosts into a new directory and runs berth import kamal
// there. The lab's registry speaks plain http, which Kamal leaves to the
// Docker daemons: insecure = true is the one line added by hand.
func importKamal(t *testing.T, l *LabEnv, deployYML string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("config/deploy.yml", deployYML)
	// Kamal builds from the app's Dockerfile: the import makes it berth's
	// build block, and the tests deploy the lab's images with --no-build.
	write("Dockerfile", "FROM "+Registry+"/app:v1\n")
	write("ssh_config", "Host *\n  UserKnownHostsFile "+l.KnownHostsPath+"\n")
	r := l.Berth(t, dir, "import", "kamal")
	if r.Code != 0 {
		t.Fatalf("berth import kamal: %s", r)
	}
	if !strings.Contains(r.Stdout, "It validates") {
		t.Errorf("the import's report lacks \"It validates\":\n%s", r.Stdout)
	}
	hcl, err := os.ReadFile(filepath.Join(dir, "berth.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hcl), "  build {\n    context   = \".\"\n    platforms = [\"linux/amd64\"]\n  }") {
		t.Errorf("Kamal's builder is not the build block:\n%s", hcl)
	}
	patched := strings.Replace(string(hcl), `password = env("REGISTRY_PASSWORD")`, "password = env(\"REGISTRY_PASSWORD\")\n  insecure = true", 1)
	if strings.Contains(patched, "  proxy {") {
		// The lab has no Docker Hub: the proxy image (resolved by every
		// plan of a proxied role) is the lab registry's copy.
		patched += fmt.Sprintf("\nproxy {\n  image = %q\n}\n", proxyImage)
	}
	write("berth.hcl", patched)
	if r := l.Berth(t, dir, "fmt", "--check"); r.Code != 0 {
		t.Errorf("the imported configuration is not formatted: %s", r)
	}
	return dir
}

// gaps is a client of each address every 20 ms that records when
// requests failed, in runs of consecutive failures.
type gaps struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen map[string]*hostGaps
}

type hostGaps struct {
	requests, failures int
	runs               []time.Duration // each run of consecutive failures, first to last failure + 20 ms
	runStart, last     time.Time
	versions           []string
	errors             []string // the first few failures, with their time
}

func startGaps(addrs ...string) *gaps {
	g := &gaps{stop: make(chan struct{}), seen: map[string]*hostGaps{}}
	for _, addr := range addrs {
		h := &hostGaps{}
		g.seen[addr] = h
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			c := &http.Client{Timeout: time.Second}
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-g.stop:
					h.closeRun()
					return
				case <-tick.C:
				}
				v, err := getUp(c, addr)
				g.mu.Lock()
				h.requests++
				now := time.Now()
				if err != nil {
					h.failures++
					if len(h.errors) < 12 {
						h.errors = append(h.errors, now.Format("15:04:05.000")+" "+err.Error())
					}
					if h.runStart.IsZero() {
						h.runStart = now
					}
					h.last = now
				} else {
					h.closeRun()
					if n := len(h.versions); n == 0 || h.versions[n-1] != v {
						h.versions = append(h.versions, v)
					}
				}
				g.mu.Unlock()
			}
		}()
	}
	return g
}

func (h *hostGaps) closeRun() {
	if !h.runStart.IsZero() {
		h.runs = append(h.runs, h.last.Sub(h.runStart)+20*time.Millisecond)
		h.runStart = time.Time{}
	}
}

func (g *gaps) end() map[string]*hostGaps {
	close(g.stop)
	g.wg.Wait()
	return g.seen
}

// TestKamalImportTakesOverARunningApp: a Kamal-shaped deployment started
// by hand, then berth import kamal and berth apply of a new version:
// berth's containers run, Kamal's are stopped and kept, and the next plan
// is empty. The web role publishes port 80 itself, as Kamal's did, so each
// web host has one short gap while the port changes hands (the old
// container stops, the new one starts on the port): the client measures
// it, and the test wants exactly one gap per host and none elsewhere.
func TestKamalImportTakesOverARunningApp(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "kapp")
	dir := importKamal(t, l, kamalApp(t, l, svc))
	h1, h2 := l.Host(t, "h1").Addr+":80", l.Host(t, "h2").Addr+":80"
	mustServeOn(t, "v1", h1, h2)

	plan := l.Berth(t, dir, "plan", "--no-build", "--var", "version=v2")
	if plan.Code != 0 {
		t.Fatalf("plan: %s", plan)
	}
	for _, want := range []string{
		"(replace, primary)  " + svc + "-web-k1 → " + svc + "-web-v2",
		"takeover: " + svc + "-web-k1 (kamal's) → stopped and kept, never removed",
		"takeover: " + svc + "-worker-k1 (kamal's)", "takeover: " + svc + "-cache (kamal's)",
		"Plan: 0 to create, 4 to replace, 0 to remove, 0 unchanged.",
	} {
		if !strings.Contains(plan.Stdout, want) {
			t.Errorf("the plan lacks %q:\n%s", want, plan.Stdout)
		}
	}

	g := startGaps(h1, h2)
	r := l.Berth(t, dir, "apply", "--auto-approve", "--no-build", "--var", "version=v2")
	mustServeOn(t, "v2", h1, h2)
	seen := g.end()
	if r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	for addr, h := range seen {
		t.Logf("%s: %d requests, %d failed in %d gap(s) %v while the port changed hands (%s), versions %v", addr, h.requests, h.failures, len(h.runs), h.runs, strings.Join(h.errors, "; "), h.versions)
		if len(h.runs) > 1 {
			t.Errorf("%s: %d gaps %v; the one published-port cut-over makes at most one", addr, len(h.runs), h.runs)
		}
		if h.requests < 20 || len(h.versions) == 0 || h.versions[len(h.versions)-1] != "v2" {
			t.Errorf("%s: %d requests, versions %v", addr, h.requests, h.versions)
		}
	}

	for host, want := range map[string][]string{"h1": {"web"}, "h2": {"web"}, "h3": {"worker"}} {
		for _, role := range want {
			kamal := l.ContainersByLabel(t, host, "role="+role)
			if len(kamal) != 1 || kamal[0].Name != svc+"-"+role+"-k1" || kamal[0].State != "exited" {
				t.Errorf("%s: Kamal's %s containers %+v, want %s-%s-k1 stopped and kept", host, role, kamal, svc, role)
			}
		}
		for _, c := range l.Containers(t, host, svc) {
			if c.State != "running" {
				t.Errorf("%s: berth's %s is %s", host, c.Name, c.State)
			}
		}
	}
	acc := l.ContainersByLabel(t, "h3", "service="+svc+"-cache")
	if len(acc) != 1 || acc[0].State != "exited" {
		t.Errorf("h3: Kamal's accessory %+v, want one, stopped and kept", acc)
	}

	next := l.Berth(t, dir, "plan", "--detailed-exitcode", "--no-build", "--var", "version=v2")
	if next.Code != 0 {
		t.Errorf("the next plan is not empty: %s", next)
	}
}

// TestKamalTakeoverThroughKamalProxy: the same, with web behind Kamal's
// running kamal-proxy: berth adopts it as the hosts' proxy and switches
// Kamal's route inside it, so a client of each web host every 20 ms sees
// no failed request; kamal-proxy keeps running, berth starts no proxy of
// its own, Kamal's containers are stopped and kept, the next plan is empty.
func TestKamalTakeoverThroughKamalProxy(t *testing.T) {
	l := Lab(t)
	t.Cleanup(func() { // after every container: berth's proxy network and Kamal's, which berth's web joined
		for _, h := range []string{"h1", "h2"} {
			_, _ = l.SSH(t, h, "docker network rm berth kamal >/dev/null 2>&1; true")
		}
	})
	svc := l.Service(t, "kpx")
	dir := importKamal(t, l, kamalAppOn(t, l, svc, kamalShape{proxied: true}))
	h1, h2 := l.Host(t, "h1").Addr+":80", l.Host(t, "h2").Addr+":80"
	mustServeOn(t, "v1", h1, h2)

	plan := l.Berth(t, dir, "plan", "--no-build", "--var", "version=v2")
	if plan.Code != 0 {
		t.Fatalf("plan: %s", plan)
	}
	for _, want := range []string{"berth adopts Kamal's kamal-proxy as the host's proxy", "takeover: " + svc + "-web-k1 (kamal's)"} {
		if !strings.Contains(plan.Stdout, want) {
			t.Errorf("the plan lacks %q:\n%s", want, plan.Stdout)
		}
	}
	if strings.Contains(plan.Stdout, "berth-proxy  (create") {
		t.Errorf("the plan starts a berth proxy beside Kamal's:\n%s", plan.Stdout)
	}

	g := startGaps(h1, h2)
	time.Sleep(300 * time.Millisecond) // the client's warm-up, not synchronisation
	r := l.Berth(t, dir, "apply", "--auto-approve", "--no-build", "--var", "version=v2")
	mustServeOn(t, "v2", h1, h2)
	seen := g.end()
	if r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	t.Logf("apply:\n%s", r.Stdout)
	for addr, h := range seen {
		t.Logf("%s: %d requests, %d failed, versions %v", addr, h.requests, h.failures, h.versions)
		if h.failures > 0 || h.requests < 20 || len(h.versions) == 0 || h.versions[len(h.versions)-1] != "v2" {
			t.Errorf("%s: %d of %d requests failed %v (%s), versions %v; want none failed, v2 at the end", addr, h.failures, h.requests, h.runs, strings.Join(h.errors, "; "), h.versions)
		}
	}
	for _, host := range []string{"h1", "h2"} {
		kp := l.ContainersByLabel(t, host, "role=web")
		if len(kp) != 1 || kp[0].State != "exited" {
			t.Errorf("%s: Kamal's web %+v, want stopped and kept", host, kp)
		}
		if px := l.ContainersByLabel(t, host, "berth.proxy=true"); len(px) != 0 {
			t.Errorf("%s: berth started a proxy of its own: %+v", host, px)
		}
		if out := l.MustSSH(t, host, "docker inspect -f '{{.State.Status}}' kamal-proxy"); strings.TrimSpace(out) != "running" {
			t.Errorf("%s: kamal-proxy is %s", host, out)
		}
	}
	next := l.Berth(t, dir, "plan", "--detailed-exitcode", "--no-build", "--var", "version=v2")
	if next.Code != 0 {
		t.Errorf("the next plan is not empty: %s", next)
	}
}

// TestKamalTakeoverKeepsTLS: Kamal's route has HTTPS with a certificate
// of its own (ssl: {certificate_pem, private_key_pem}). berth import kamal
// makes it a tls block reading both from the environment; the takeover
// copies berth's certificate into the adopted kamal-proxy and moves the
// route with TLS, so an HTTPS client of each web host every 20 ms sees no
// failed request, and afterwards the hosts serve berth's certificate.
func TestKamalTakeoverKeepsTLS(t *testing.T) {
	l := Lab(t)
	t.Cleanup(func() {
		for _, h := range []string{"h1", "h2"} {
			_, _ = l.SSH(t, h, "docker network rm berth kamal >/dev/null 2>&1; true")
		}
	})
	svc := l.Service(t, "ktls")
	name := svc + ".test"
	kamalSet, err := testcert.New(name)
	if err != nil {
		t.Fatal(err)
	}
	berthSet, err := testcert.New(name) // another CA: which certificate a host serves shows who configured it
	if err != nil {
		t.Fatal(err)
	}
	dir := importKamal(t, l, kamalAppOn(t, l, svc, kamalShape{proxied: true, tls: &kamalSet, tlsName: name}))
	hcl, err := os.ReadFile(filepath.Join(dir, "berth.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`certificate = env("KTLS_CERT")`, `private_key = env("KTLS_KEY")`} {
		if !strings.Contains(string(hcl), want) {
			t.Errorf("the import lacks %q:\n%s", want, hcl)
		}
	}
	env := map[string]string{"KTLS_CERT": string(berthSet.Cert), "KTLS_KEY": string(berthSet.Key)}
	https := []string{fmt.Sprintf("%s:%d", l.Host(t, "h1").Addr, proxyHTTPSPort), fmt.Sprintf("%s:%d", l.Host(t, "h2").Addr, proxyHTTPSPort)}
	both := append(append([]byte(nil), kamalSet.CA...), berthSet.CA...)
	for _, addr := range https {
		if !sameLeaf(servedBy(t, addr, name, both), kamalSet.Cert) {
			t.Fatalf("%s: before the takeover the route does not serve Kamal's certificate", addr)
		}
	}

	end := httpsLoad(both, name, https...)
	time.Sleep(300 * time.Millisecond) // the load's warm-up, not synchronisation
	r := l.BerthEnv(t, dir, env, "apply", "--auto-approve", "--no-build", "--var", "version=v2")
	time.Sleep(300 * time.Millisecond)
	seen := end()
	if r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	if strings.Contains(r.Stdout+r.Stderr, "PRIVATE KEY") {
		t.Errorf("the private key is in the apply's output")
	}
	for addr, h := range seen {
		t.Logf("%s: %d HTTPS requests, %d failed, versions %v", addr, h.requests, h.failures, h.versions)
		if h.failures > 0 || h.requests < 20 || len(h.versions) == 0 || h.versions[len(h.versions)-1] != "v2" {
			t.Errorf("%s: %d of %d HTTPS requests failed (%s), versions %v; want none failed, v2 at the end", addr, h.failures, h.requests, strings.Join(h.errors, "; "), h.versions)
		}
	}
	for _, addr := range https {
		if got := servedBy(t, addr, name, both); !sameLeaf(got, berthSet.Cert) {
			t.Errorf("%s: after the takeover the route does not serve the certificate berth was given", addr)
		}
	}
	next := l.BerthEnv(t, dir, env, "plan", "--detailed-exitcode", "--no-build", "--var", "version=v2")
	if next.Code != 0 {
		t.Errorf("the next plan is not empty: %s", next)
	}
}

// servedBy is the leaf certificate (DER) that addr serves for name, to a
// client trusting the CAs in ca.
func servedBy(t *testing.T, addr, name string, ca []byte) string {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: name, RootCAs: pool})
	if err != nil {
		t.Fatalf("%s: TLS: %v", addr, err)
	}
	defer conn.Close()
	return string(conn.ConnectionState().PeerCertificates[0].Raw)
}

// sameLeaf reports whether der is the first certificate of the PEM chain.
func sameLeaf(der string, chain []byte) bool {
	b, _ := pem.Decode(chain)
	return b != nil && string(b.Bytes) == der
}
