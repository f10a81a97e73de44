package drift

import (
	"strings"
	"testing"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

func proxyContainer(cfg *lang.Config, host string) planner.Container {
	spec := planner.ProxySpec(cfg, host, digest, false)
	return planner.Container{ID: "px" + host, Name: spec.Name, Version: spec.Labels[planner.LabelVersion], ConfigHash: spec.ConfigHash,
		Image: spec.Image, State: "running", Labels: spec.Labels}
}

func TestCompareProxy(t *testing.T) {
	cfg := config()
	cfg.Proxy = lang.Proxy{Image: "reg/kamal-proxy:v0.9.2", HTTPPort: 80}
	cfg.Roles[0].Proxy = &lang.RoleProxy{AppPort: 8080, HealthPath: "/up"}
	states := []planner.HostState{
		{Host: "h1", Containers: []planner.Container{proxyContainer(cfg, "h1")}},
		{Host: "h2"},
	}
	got := marks(Compare(cfg, states))
	for _, want := range []string{"h1/berth-proxy v0.9.2 running  \n", "h2/berth-proxy  missing DRIFT no container: the configuration wants v0.9.2 here\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("rows lack %q:\n%s", want, got)
		}
	}

	// Without a proxied role, a proxy left behind with the service's
	// route is unclaimed.
	plain := config()
	px := []planner.Container{proxyContainer(cfg, "h1")}
	route := planner.LiveRoute{Service: cfg.Service.Name + "-web", Paths: []string{"/"}, State: "running"}
	got = marks(Compare(plain, []planner.HostState{{Host: "h1", Containers: px, Routes: []planner.LiveRoute{route}}}))
	if !strings.Contains(got, "h1/berth-proxy v0.9.2 running UNCLAIMED no role on h1 is proxied any more\n") {
		t.Errorf("rows:\n%s", got)
	}
	// The proxy is shared: a service without a route in it, or one that
	// leaves it to another service's routes, does not list it.
	other := planner.LiveRoute{Service: "blog-web", Paths: []string{"/"}, State: "running"}
	for _, routes := range [][]planner.LiveRoute{nil, {route, other}} {
		if got = marks(Compare(plain, []planner.HostState{{Host: "h1", Containers: px, Routes: routes}})); strings.Contains(got, "berth-proxy") {
			t.Errorf("routes %v: rows:\n%s", routes, got)
		}
	}
}
