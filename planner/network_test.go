package planner

import (
	"slices"
	"strings"
	"testing"
)

func TestEveryContainerJoinsTheServiceNetwork(t *testing.T) {
	cfg := testConfig("v1")
	web := Spec(cfg, &cfg.Roles[0], "h1", digestV1)
	cache := AccessorySpec(cfg, &cfg.Accessories[0], "h3", digestCache)
	if !slices.Equal(web.Networks(), []string{"berth-shop"}) || len(web.Aliases) != 0 {
		t.Errorf("web: networks %v aliases %v", web.Networks(), web.Aliases)
	}
	if !slices.Equal(cache.Networks(), []string{"berth-shop"}) || !slices.Equal(cache.Aliases, []string{"cache", "shop-cache"}) {
		t.Errorf("cache: networks %v aliases %v", cache.Networks(), cache.Aliases)
	}
	if px := ProxySpec(cfg, "h1", digestProxy, false); !slices.Equal(px.Networks(), []string{ProxyNetwork}) {
		t.Errorf("the proxy, shared by every service, left its network: %v", px.Networks())
	}
	cfg.Service.Network = "shopnet"
	if s := AccessorySpec(cfg, &cfg.Accessories[0], "h3", digestCache); s.Network != "shopnet" || s.ConfigHash == cache.ConfigHash {
		t.Errorf("service.network = shopnet: network %q, hash unchanged %v", s.Network, s.ConfigHash == cache.ConfigHash)
	}
}

// firstRelease is spec as berth wrote it before services had a network:
// on the default bridge (or only the proxy's network), without aliases.
func firstRelease(spec ContainerSpec) ContainerSpec {
	sum, _ := ParseSpecSummary(spec.Labels[LabelSpec])
	sum.Network, sum.Aliases = "", nil
	if sum.Proxy != nil {
		sum.Network = ProxyNetwork
	}
	spec.Labels[LabelSpec], spec.ConfigHash = sum.JSON(), sum.Hash()
	spec.Labels[LabelConfig] = spec.ConfigHash
	return spec
}

// A container of the first release is replaced once, and the plan says it
// is for the network and nothing else.
func TestFirstReleaseContainersJoinTheNetwork(t *testing.T) {
	cfg := testConfig("v1")
	hosts := &fakeHosts{}
	hosts.put("h3", live("w1", firstRelease(Spec(cfg, &cfg.Roles[1], "h3", digestV1)), "running", t0))
	hosts.put("h3", live("a1", firstRelease(AccessorySpec(cfg, &cfg.Accessories[0], "h3", digestCache)), "running", t0))
	p := build(t, cfg, hosts, Options{Targets: []string{"h3"}})
	got := summary(p)
	for _, want := range []string{
		"h3/worker replace [network |(default bridge)|berth-shop]\n",
		"h3/accessory.cache replace [network |(default bridge)|berth-shop (as cache, shop-cache)]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if nets := p.Networks(); len(nets) != 1 || nets[0].Host != "h3" || !slices.Equal(nets[0].Networks, []string{"berth-shop"}) {
		t.Errorf("Networks() = %+v", nets)
	}
	// Once replaced, nothing changes again.
	again := build(t, cfg, deployed(cfg, digestV1), Options{})
	if again.HasChanges() {
		t.Errorf("a deployed service plans changes:\n%s", summary(again))
	}
}

func TestProxiedRoleJoinsBothNetworks(t *testing.T) {
	old := proxiedConfig("v1")
	hosts := withProxies(&fakeHosts{}, old)
	hosts.put("h1", live("w1", firstRelease(Spec(old, &old.Roles[0], "h1", digestV1)), "running", t0))
	p := proxyBuild(t, old, hosts, Options{Targets: []string{"h1/web"}})
	if got := summary(p); !strings.Contains(got, "[network |berth|berth-shop, berth]") {
		t.Errorf("plan lacks the network change:\n%s", got)
	}
	if nets := p.Networks(); len(nets) == 0 || !slices.Equal(nets[0].Networks, []string{"berth-shop", ProxyNetwork}) {
		t.Errorf("Networks() = %+v", nets)
	}
}
