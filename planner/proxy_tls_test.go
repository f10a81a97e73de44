package planner

import (
	"os"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/testcert"
	"github.com/berth-sh/berth/lang"
)

func tlsProxiedConfig(t *testing.T, set testcert.Set) *lang.Config {
	t.Helper()
	cfg := proxiedConfig("v1")
	p := cfg.Roles[0].Proxy
	p.Hosts, p.TLSRedirect = []string{"shop.example.com"}, true
	p.TLS = &lang.ProxyTLS{Certificate: string(set.Cert), PrivateKey: lang.NewSecret(`env("KEY")`, string(set.Key))}
	return cfg
}

func TestProxyTLSKeyChangeIsAReplaceWithoutTheKey(t *testing.T) {
	first, err := testcert.New("shop.example.com")
	if err != nil {
		t.Fatal(err)
	}
	second, err := testcert.New("shop.example.com")
	if err != nil {
		t.Fatal(err)
	}
	old := tlsProxiedConfig(t, first)
	if p := proxyBuild(t, old, withProxies(deployed(old, digestV1), old), Options{}); p.HasChanges() {
		t.Fatalf("the same certificate again is a change:\n%s", summary(p))
	}
	cfg := tlsProxiedConfig(t, first)
	cfg.Roles[0].Proxy.TLS.PrivateKey = lang.NewSecret(`env("KEY")`, string(second.Key))
	p := proxyBuild(t, cfg, withProxies(deployed(old, digestV1), old), Options{})
	got := summary(p)
	if !strings.Contains(got, "h1/web replace") || !strings.Contains(got, "h2/web replace") {
		t.Fatalf("a new key is no replace:\n%s", got)
	}
	var reason string
	for _, r := range p.Changes[0].Reasons {
		if r.Field == "proxy" {
			reason = r.Old + " | " + r.New
		}
	}
	if !strings.Contains(reason, "tls certificate "+short(p.Changes[0].Desired.Proxy.TLS.Certificate)) {
		t.Errorf("proxy reason %q", reason)
	}
	path := t.TempDir() + "/plan.json"
	if err := WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range [][]byte{first.Key, second.Key} {
		body := strings.Split(string(secret), "\n")[1] // a line of the key's base64
		if strings.Contains(string(b), body) || strings.Contains(got, body) {
			t.Errorf("a private key is in the plan file or its summary")
		}
	}
	if !strings.Contains(string(b), p.Changes[0].Desired.Proxy.TLS.PrivateKey) {
		t.Errorf("the plan file lacks the key's salted hash")
	}
}

// The proxy publishes its HTTPS port only once a route on the host has
// TLS, and keeps it after: a proxy without TLS routes is not replaced for
// it, and services with and without TLS do not take turns replacing it.
func TestProxyPublishesHTTPSOnlyForTLSAndKeepsIt(t *testing.T) {
	set, err := testcert.New("shop.example.com")
	if err != nil {
		t.Fatal(err)
	}
	plain := proxiedConfig("v1")
	if p := proxyBuild(t, plain, withProxies(deployed(plain, digestV1), plain), Options{}); p.HasChanges() {
		t.Fatalf("a proxy without TLS routes changes:\n%s", summary(p))
	}
	tls := tlsProxiedConfig(t, set)
	got := summary(proxyBuild(t, tls, withProxies(deployed(plain, digestV1), plain), Options{}))
	if !strings.Contains(got, "h1/berth-proxy replace [ports |80:80|80:80, 443:443]") || strings.Contains(got, "h3/berth-proxy") {
		t.Errorf("a first TLS route does not publish 443 where it is served:\n%s", got)
	}
	// A proxy that publishes 443 already keeps it for a service without TLS.
	if p := proxyBuild(t, plain, withProxies(deployed(plain, digestV1), tls), Options{}); strings.Contains(summary(p), "berth-proxy replace") {
		t.Errorf("a service without TLS takes 443 away again:\n%s", summary(p))
	}
}
