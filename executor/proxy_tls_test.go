package executor

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/testcert"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

func TestProxyDeployArgsTLS(t *testing.T) {
	route := &planner.ProxyRoute{Service: "shop-web", AppPort: 8080, Host: "shop.example.com", HealthPath: "/up",
		HealthInterval: time.Second, DeployTimeout: 30 * time.Second, DrainTimeout: 5 * time.Second,
		TLS: &planner.RouteTLS{Certificate: "sha256:aa", PrivateKey: "sha256:bb"}, CanonicalHost: "shop.example.com"}
	cert, key := route.TLS.Files("shop-web")
	got := ProxyDeployArgs(route, "c1")
	want := []string{"--host", "shop.example.com", "--tls", "--tls-certificate-path", cert, "--tls-private-key-path", key,
		"--canonical-host", "shop.example.com"}
	if tail := got[len(got)-len(want):]; !slices.Equal(tail, want) {
		t.Errorf("own certificate: %q", got)
	}
	if !strings.HasPrefix(cert, planner.ProxyConfigDir+"/berth-tls/shop-web/") || !strings.HasSuffix(key, ".key") {
		t.Errorf("files %s %s", cert, key)
	}
	route.TLS, route.CanonicalHost = &planner.RouteTLS{Auto: true, NoRedirect: true}, ""
	got = ProxyDeployArgs(route, "c1")
	want = []string{"--host", "shop.example.com", "--tls", "--tls-acme-cache-path", planner.ProxyACMECache, "--tls-redirect=false"}
	if tail := got[len(got)-len(want):]; !slices.Equal(tail, want) {
		t.Errorf("Let's Encrypt: %q", got)
	}
}

func tlsConfig(t *testing.T, version string) (*lang.Config, testcert.Set) {
	t.Helper()
	set, err := testcert.New("shop.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cfg := proxiedConfig(version)
	p := cfg.Roles[0].Proxy
	p.Hosts, p.TLSRedirect = []string{"shop.example.com"}, true
	p.TLS = &lang.ProxyTLS{Certificate: string(set.Cert), PrivateKey: lang.NewSecret(`env("KEY")`, string(set.Key))}
	return cfg, set
}

func TestProxiedTLSCopiesTheKeyThroughTheAPI(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg, set := tlsConfig(t, "v1")
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"h1", "h2"} {
		files := f.hosts[host].files
		var key, cert bool
		for path, file := range files {
			switch {
			case strings.HasSuffix(path, ".key"):
				key = file.Mode == 0o600 && string(file.Data) == string(set.Key) && strings.HasPrefix(path, planner.ProxyContainer+":"+planner.ProxyConfigDir+"/berth-tls/shop-web/")
			case strings.HasSuffix(path, ".crt"):
				cert = file.Mode == 0o644 && string(file.Data) == string(set.Cert)
			}
		}
		if !key || !cert {
			t.Errorf("%s: files copied into the proxy: %v", host, slices.Collect(maps.Keys(files)))
		}
	}
	for _, argv := range f.deploys {
		joined := strings.Join(argv, " ")
		if strings.Contains(joined, "PRIVATE KEY") || !strings.Contains(joined, "--tls-private-key-path") {
			t.Errorf("deploy argv %q", joined)
		}
	}
}

func TestProxiedTLSKeyChangedSinceThePlan(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg, _ := tlsConfig(t, "v1")
	p := plan(t, f.fleet, cfg)
	other, _ := testcert.New("shop.example.com")
	cfg.Roles[0].Proxy.TLS.PrivateKey = lang.NewSecret(`env("KEY")`, string(other.Key))
	_, err := Apply(context.Background(), p, cfg, f, Options{Poll: 5 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "changed since the plan was made") {
		t.Fatalf("apply with another key: %v", err)
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("the key is in the error: %v", err)
	}
}

func TestProxiedErrorPagesCopiedAndSent(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Proxy.ErrorPages = &lang.ErrorPages{Dir: "pages", Files: map[string][]byte{"503.html": []byte("<p>{{ .Message }}</p>")}}
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	dir := planner.PagesPath("shop-web", planner.PagesDigest(cfg.Roles[0].Proxy.ErrorPages))
	if file, ok := f.hosts["h1"].files[planner.ProxyContainer+":"+planner.ProxyConfigDir+"/"+strings.TrimPrefix(dir, planner.ProxyConfigDir+"/")+"/503.html"]; !ok || file.Mode != 0o644 {
		t.Errorf("h1: files %v", slices.Collect(maps.Keys(f.hosts["h1"].files)))
	}
	argv := strings.Join(f.deploys[0], " ")
	if !strings.Contains(argv, "--error-pages "+dir) {
		t.Errorf("deploy %q", argv)
	}
}

// TestTLSFilesGoIntoTheAdoptedKamalProxy: where the plan adopted Kamal's
// kamal-proxy, a route's certificate and error pages are copied into it
// (its volume is mounted at the same path as berth's proxy's), not into a
// berth-proxy that does not run there.
func TestTLSFilesGoIntoTheAdoptedKamalProxy(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	f.hosts["h1"].containers["kp1"] = &fakeContainer{id: "kp1", name: planner.KamalProxy, state: "running"}
	cfg, set := tlsConfig(t, "v2")
	p := plan(t, f, cfg)
	var route *planner.ProxyRoute
	for _, c := range p.Changes {
		if c.Address.Role == "web" && c.Desired != nil && c.Desired.Proxy != nil {
			route = c.Desired.Proxy
		}
	}
	if route == nil || route.TLS == nil {
		t.Fatalf("no TLS route in the plan: %+v", p.Changes)
	}
	p.Changes = append(p.Changes, planner.Change{Address: planner.Address{Host: "h1", Proxy: true}, Action: planner.ActionUnchanged,
		Running: &planner.Container{ID: "kp1", Name: planner.KamalProxy, State: "running", Takeover: "kamal"}})
	r := newRun(context.Background(), p, cfg, f, Options{})
	d, _ := f.Docker(context.Background(), "h1")
	if err := r.installTLS(context.Background(), d, planner.Address{Host: "h1", Role: "web"}, route); err != nil {
		t.Fatal(err)
	}
	var copied []string
	for path, file := range f.hosts["h1"].files {
		copied = append(copied, path)
		if strings.HasSuffix(path, ".key") && (!strings.HasPrefix(path, planner.KamalProxy+":") || string(file.Data) != string(set.Key)) {
			t.Errorf("the key went to %s", path)
		}
	}
	if len(copied) != 2 {
		t.Errorf("copied %v, want the certificate and the key in %s", copied, planner.KamalProxy)
	}
}
