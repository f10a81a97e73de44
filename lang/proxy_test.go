package lang

import (
	"reflect"
	"testing"
	"time"
)

func TestProxyBlocks(t *testing.T) {
	cfg := loadValid(t, Options{Dir: "testdata/valid/proxy"})
	if want := (Proxy{Image: "10.77.0.1:5000/kamal-proxy:v0.9.2", HTTPPort: 8080, HTTPSPort: 443}); cfg.Proxy != want {
		t.Errorf("Proxy = %+v, want %+v", cfg.Proxy, want)
	}
	web := &RoleProxy{AppPort: 3000, Hosts: []string{"shop.example.com"}, PathPrefix: "/shop", StripPathPrefix: true, HealthPath: "/health",
		DeployTimeout: 10 * time.Second, DrainTimeout: 5 * time.Second, TLSRedirect: true}
	api := &RoleProxy{AppPort: 8080, Hosts: []string{"api.example.com", "www.example.com"}, PathPrefix: "/api",
		HealthPath: "/up", DeployTimeout: 30 * time.Second, DrainTimeout: 30 * time.Second, TLSRedirect: true}
	for _, r := range cfg.Roles {
		want := map[string]*RoleProxy{"web": web, "api": api}[r.Name]
		if !reflect.DeepEqual(r.Proxy, want) {
			t.Errorf("role %s: Proxy = %+v, want %+v", r.Name, r.Proxy, want)
		}
		if len(r.Ports) != 0 {
			t.Errorf("role %s publishes %v", r.Name, r.Ports)
		}
	}
	if !cfg.Proxied("h1") || !cfg.Proxied("h2") || cfg.Proxied("h3") {
		t.Errorf("Proxied: h1 %v h2 %v h3 %v", cfg.Proxied("h1"), cfg.Proxied("h2"), cfg.Proxied("h3"))
	}
}

func TestProxyDefaultsOnlyWhenUsed(t *testing.T) {
	cfg := loadValid(t, Options{Dir: "testdata/valid/design"})
	if cfg.Proxy != (Proxy{}) || cfg.Proxied("") {
		t.Errorf("a configuration without proxy blocks has Proxy %+v, Proxied %v", cfg.Proxy, cfg.Proxied(""))
	}
}
