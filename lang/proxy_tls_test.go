package lang

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/testcert"
)

const tlsConfig = `
service "shop" { image = "10.77.0.1:5000/app" }
host "h1" { address = "10.77.0.11" }
proxy { https_port = 8443 }
role "web" {
  hosts = [host.h1]
  proxy {
    app_port       = 8080
    hosts          = ["shop.example.com", "www.shop.example.com"]
    canonical_host = "shop.example.com"
    tls {
      certificate = file("shop.pem")
      private_key = env("SHOP_TLS_KEY")
    }
  }
}
role "api" {
  hosts = [host.h1]
  proxy {
    app_port     = 8080
    host         = "api.example.com"
    tls          = true
    tls_redirect = false
  }
}
deploy { version = "v1" }
`

func writeTLSConfig(t *testing.T, hcl string) (dir string, set testcert.Set) {
	t.Helper()
	set, err := testcert.New("shop.example.com", "www.shop.example.com")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	for name, b := range map[string][]byte{"berth.hcl": []byte(hcl), "shop.pem": set.Cert} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir, set
}

func TestProxyTLS(t *testing.T) {
	dir, set := writeTLSConfig(t, tlsConfig)
	cfg := loadValid(t, Options{Dir: dir, Environ: []string{"SHOP_TLS_KEY=" + string(set.Key)}})
	if cfg.Proxy.HTTPSPort != 8443 || cfg.Proxy.HTTPPort != 80 {
		t.Errorf("Proxy = %+v", cfg.Proxy)
	}
	web, api := cfg.Roles[0].Proxy, cfg.Roles[1].Proxy
	if web.TLS == nil || web.TLS.Auto || web.TLS.Certificate != string(set.Cert) || web.TLS.PrivateKey.Value() != string(set.Key) {
		t.Errorf("web TLS = %+v", web.TLS)
	}
	if !web.TLSRedirect || web.CanonicalHost != "shop.example.com" {
		t.Errorf("web: redirect %v canonical %q", web.TLSRedirect, web.CanonicalHost)
	}
	if web.TLS.PrivateKey.Ref() != `env("SHOP_TLS_KEY")` {
		t.Errorf("key ref %q", web.TLS.PrivateKey.Ref())
	}
	if api.TLS == nil || !api.TLS.Auto || api.TLSRedirect {
		t.Errorf("api: TLS %+v redirect %v", api.TLS, api.TLSRedirect)
	}
}

func TestProxyTLSErrors(t *testing.T) {
	cases := map[string]struct{ from, to, want string }{
		"no host":          {`hosts          = ["shop.example.com", "www.shop.example.com"]`, ``, "TLS without a host name"},
		"path prefix":      {`canonical_host = "shop.example.com"`, `path_prefix = "/shop"`, "TLS below a path prefix"},
		"canonical":        {`canonical_host = "shop.example.com"`, `canonical_host = "other.example.com"`, "Canonical host not routed"},
		"not a cert":       {`file("shop.pem")`, `"hello"`, "Invalid certificate"},
		"both":             {`tls_redirect = false`, `tls_redirect = false` + "\n    tls {\n certificate = \"x\"\n private_key = \"y\"\n }", "Both tls = true and a tls block"},
		"same ports":       {`https_port = 8443`, `https_port = 80`, "Same port for HTTP and HTTPS"},
		"missing key attr": {`private_key = env("SHOP_TLS_KEY")`, ``, "Missing required argument"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir, set := writeTLSConfig(t, strings.Replace(tlsConfig, c.from, c.to, 1))
			res := Load(context.Background(), Options{Dir: dir, Environ: []string{"SHOP_TLS_KEY=" + string(set.Key)}})
			if !strings.Contains(res.Diags.Error(), c.want) {
				t.Errorf("diagnostics %q, want %q", res.Diags.Error(), c.want)
			}
		})
	}
}

func TestProxyTLSKeyMismatch(t *testing.T) {
	dir, _ := writeTLSConfig(t, tlsConfig)
	other, err := testcert.New("other.example.com")
	if err != nil {
		t.Fatal(err)
	}
	res := Load(context.Background(), Options{Dir: dir, Environ: []string{"SHOP_TLS_KEY=" + string(other.Key)}})
	msg := res.Diags.Error()
	if !strings.Contains(msg, "Certificate and private key do not match") || !strings.Contains(msg, "berth.hcl:13") {
		t.Errorf("diagnostics %q", msg)
	}
	if strings.Contains(msg, "PRIVATE KEY") {
		t.Errorf("the key is in a diagnostic: %q", msg)
	}
}

// TestProxyTLSCertificateFromEnv: the certificate may be read like a
// secret (Kamal keeps it with its key in .kamal/secrets), in validate mode
// too, where the variable is not set.
func TestProxyTLSCertificateFromEnv(t *testing.T) {
	hcl := strings.Replace(tlsConfig, `file("shop.pem")`, `env("SHOP_TLS_CERT")`, 1)
	dir, set := writeTLSConfig(t, hcl)
	cfg := loadValid(t, Options{Dir: dir, Environ: []string{"SHOP_TLS_KEY=" + string(set.Key), "SHOP_TLS_CERT=" + string(set.Cert)}})
	if tls := cfg.Roles[0].Proxy.TLS; tls == nil || tls.Certificate != string(set.Cert) {
		t.Errorf("web TLS = %+v", tls)
	}
	if res := Load(context.Background(), Options{Dir: dir, Validate: true}); res.Diags.HasErrors() {
		t.Errorf("validate without the variables: %s", res.Diags.Error())
	}
	res := Load(context.Background(), Options{Dir: dir, Environ: []string{"SHOP_TLS_KEY=" + string(set.Key), "SHOP_TLS_CERT=hello"}})
	if !strings.Contains(res.Diags.Error(), "Invalid certificate") {
		t.Errorf("a certificate that is no PEM: %q", res.Diags.Error())
	}
}
