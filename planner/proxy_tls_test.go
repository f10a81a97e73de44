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
