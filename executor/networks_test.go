package executor

import (
	"slices"
	"testing"

	"github.com/berth-sh/berth/lang"
)

func withAccessory(cfg *lang.Config) *lang.Config {
	cfg.Accessories = []lang.Accessory{{Name: "db", Image: "10.77.0.1:5000/postgres:15", Hosts: []string{"h3"}}}
	return cfg
}

// containerNamed is the container of host named name, or nil.
func (f *fleet) containerNamed(host, name string) *fakeContainer {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.hosts[host].containers {
		if c.name == name {
			return c
		}
	}
	return nil
}

func TestEveryContainerIsOnTheServiceNetworkAccessoriesByName(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, withAccessory(config("v1")))
	for _, h := range []string{"h1", "h2", "h3"} {
		if !f.networks[h+" berth-shop"] {
			t.Errorf("%s: no network berth-shop: %v", h, f.networks)
		}
	}
	before(t, f, "h3 network create berth-shop", "h3 create shop-db")
	db := f.containerNamed("h3", "shop-db")
	if db == nil || !slices.Equal(db.networks["berth-shop"], []string{"db", "shop-db"}) {
		t.Fatalf("shop-db: networks %v", db)
	}
	if w := f.containerNamed("h3", "shop-worker-v1"); w == nil || len(w.networks) != 1 || !hasKey(w.networks, "berth-shop") {
		t.Errorf("shop-worker-v1: networks %v", w)
	}
	// service.network names another network.
	g := newFleet("h1", "h2", "h3")
	cfg := withAccessory(config("v1"))
	cfg.Service.Network = "shopnet"
	mustApply(t, g, cfg)
	if db := g.containerNamed("h3", "shop-db"); !hasKey(db.networks, "shopnet") || g.networks["h3 berth-shop"] {
		t.Errorf("service.network = shopnet: %v, networks made %v", db.networks, g.networks)
	}
}

func TestProxiedRoleIsOnTheServiceAndTheProxyNetwork(t *testing.T) {
	f := newProxyFleet("h1", "h2", "h3")
	if _, err := applyProxied(t, f, proxiedConfig("v1")); err != nil {
		t.Fatal(err)
	}
	web := f.containerNamed("h1", "shop-web-v1")
	if web == nil || !hasKey(web.networks, "berth-shop") || !hasKey(web.networks, "berth") {
		t.Fatalf("shop-web-v1: networks %v", web)
	}
	if px := f.containerNamed("h1", "berth-proxy"); px == nil || len(px.networks) != 1 || !hasKey(px.networks, "berth") {
		t.Errorf("berth-proxy: networks %v", px)
	}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
