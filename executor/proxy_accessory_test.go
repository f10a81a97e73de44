package executor

import (
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
)

func proxiedAccessoryConfig(version, env string) *lang.Config {
	cfg := proxiedConfig(version)
	cfg.Accessories = []lang.Accessory{{Name: "docs", Image: "10.77.0.1:5000/docs:1", Hosts: []string{"h1"},
		Env:   map[string]string{"EDITION": env},
		Proxy: &lang.RoleProxy{AppPort: 8080, Hosts: []string{"docs.example.com"}, HealthPath: "/up", DeployTimeout: time.Second, DrainTimeout: time.Second}}}
	cfg.Roles[0].Proxy.Hosts = []string{"shop.example.com"}
	return cfg
}

func TestProxiedAccessoryIsRoutedAndReplaced(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedAccessoryConfig("v1", "a")); err != nil {
		t.Fatal(err)
	}
	if got := f.routes["h1 shop-docs"]; got != "shop-docs" {
		t.Fatalf("route shop-docs -> %q (routes %v)", got, f.routes)
	}
	before(t, f.fleet, "h1 start berth-proxy", "h1 route shop-docs shop-docs")
	if !f.networks["h1 berth"] {
		t.Errorf("networks %v", f.networks)
	}
	first := f.routes["h1 shop-docs"]
	if _, err := applyProxied(t, f, proxiedAccessoryConfig("v1", "b")); err != nil {
		t.Fatal(err)
	}
	if !f.has("h1 route shop-docs shop-docs") || f.routes["h1 shop-docs"] != first {
		t.Errorf("after a replace the route is %q", f.routes["h1 shop-docs"])
	}
	if p := plan(t, f.fleet, proxiedAccessoryConfig("v1", "b")); p.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", p.Changes)
	}
	// The accessory leaves: its route goes with it, the proxy stays for web.
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Proxy.Hosts = []string{"shop.example.com"}
	if _, err := applyProxied(t, f, cfg); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.routes["h1 shop-docs"]; ok || !f.has("h1 unroute shop-docs") {
		t.Errorf("the accessory's route after it left: %v", f.routes)
	}
}
