package planner

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProxyList(t *testing.T) {
	out := "\x1b[3;94mService\x1b[0m  \x1b[3;94mHost\x1b[0m  \x1b[3;94mPath\x1b[0m  \x1b[3;94mTarget\x1b[0m  \x1b[3;94mState\x1b[0m  \x1b[3;94mTLS\x1b[0m  \n" +
		"\x1b[1;34mblog-web\x1b[0m  \x1b[ma.io,b.io\x1b[0m  \x1b[m/blog\x1b[0m  \x1b[m0123456789ab:8080\x1b[0m  \x1b[mstopped\x1b[0m  \x1b[mno\x1b[0m  \n" +
		"\x1b[1;34mshop-web\x1b[0m  \x1b[m*\x1b[0m  \x1b[m/\x1b[0m  \x1b[mfedcba987654:3000\x1b[0m  \x1b[mrunning\x1b[0m  \x1b[mno\x1b[0m  \n"
	want := []LiveRoute{
		{Service: "blog-web", Hosts: []string{"a.io", "b.io"}, Paths: []string{"/blog"}, Target: "0123456789ab:8080", State: "stopped"},
		{Service: "shop-web", Paths: []string{"/"}, Target: "fedcba987654:3000", State: "running"},
	}
	if got := ParseProxyList(out); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestRouteClaims(t *testing.T) {
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Proxy.Hosts = []string{"shop.example.com", "www.example.com"}
	st := func(routes ...LiveRoute) map[string]HostState {
		return map[string]HostState{"h1": {Host: "h1", Routes: routes}, "h2": {Host: "h2"}}
	}
	// Another service on other names, or on another path, or its own old route: fine.
	for _, r := range []LiveRoute{
		{Service: "blog-web", Hosts: []string{"blog.example.com"}, Paths: []string{"/"}},
		{Service: "blog-web", Hosts: []string{"www.example.com"}, Paths: []string{"/blog"}},
		{Service: "blog-web", Paths: []string{"/"}},
		{Service: "shop-web", Hosts: []string{"www.example.com"}, Paths: []string{"/"}},
	} {
		if err := checkRouteClaims(cfg, st(r)); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	err := checkRouteClaims(cfg, st(LiveRoute{Service: "blog-web", Hosts: []string{"www.example.com"}, Paths: []string{"/"}}))
	if err == nil || err.Error() != "route already claimed on the shared proxy (kamal-proxy routes a host name and path to one service only):\n"+
		"  h1: shop-web and blog-web (another service) both claim host www.example.com, path /" {
		t.Errorf("err = %v", err)
	}
	// The same path, written another way.
	cfg.Roles[0].Proxy.PathPrefix = "/api/"
	if err := checkRouteClaims(cfg, st(LiveRoute{Service: "blog-web", Hosts: []string{"shop.example.com"}, Paths: []string{"/api"}})); err == nil {
		t.Error("/api/ and /api do not conflict")
	}
}

func TestFingerprintCoversTheRoutesClaimsOnly(t *testing.T) {
	route := LiveRoute{Service: "blog-web", Hosts: []string{"blog.example.com"}, Paths: []string{"/"}, Target: "aaa:8080", State: "running"}
	base := HostState{Host: "h1", Routes: []LiveRoute{route}}
	moved := route
	moved.Target, moved.State = "bbb:8080", "stopped"
	if base.Fingerprint() != (HostState{Host: "h1", Routes: []LiveRoute{moved}}).Fingerprint() {
		t.Error("another target or maintenance changes the fingerprint")
	}
	renamed := route
	renamed.Hosts = []string{"www.example.com"}
	for _, other := range []HostState{{Host: "h1"}, {Host: "h1", Routes: []LiveRoute{renamed}}} {
		if base.Fingerprint() == other.Fingerprint() {
			t.Errorf("routes %+v: same fingerprint", other.Routes)
		}
	}
}

func TestProxyStaysWhileAnotherServiceRoutesThroughIt(t *testing.T) {
	old := proxiedConfig("v1")
	blog := LiveRoute{Service: "blog-web", Hosts: []string{"blog.example.com"}, Paths: []string{"/"}, State: "running"}
	shop := LiveRoute{Service: "shop-web", Paths: []string{"/"}, State: "running"}
	for _, tc := range []struct {
		name   string
		routes []LiveRoute
		opts   Options
		remove bool
	}{
		{"destroy, the last service", []LiveRoute{shop}, Options{Destroy: true}, true},
		{"destroy, another service left", []LiveRoute{shop, blog}, Options{Destroy: true}, false},
		{"off the proxy, the last service", []LiveRoute{shop}, Options{}, true},
		{"off the proxy, another service left", []LiveRoute{shop, blog}, Options{}, false},
	} {
		hosts := withProxies(deployed(old, digestV1), old)
		hosts.routes = map[string][]LiveRoute{"h1": tc.routes, "h2": tc.routes}
		cfg := old
		if !tc.opts.Destroy {
			cfg = testConfig("v1") // the web role publishes its port again
		}
		got := summary(proxyBuild(t, cfg, hosts, tc.opts))
		if removes := strings.Contains(got, "h1/berth-proxy remove"); removes != tc.remove {
			t.Errorf("%s: the proxy is removed: %v, want %v:\n%s", tc.name, removes, tc.remove, got)
		}
		if !tc.remove && strings.Contains(got, "berth-proxy") {
			t.Errorf("%s: the plan lists the shared proxy:\n%s", tc.name, got)
		}
	}
	// A service that never routed through the host's proxy leaves it alone.
	hosts := withProxies(&fakeHosts{}, old)
	hosts.routes = map[string][]LiveRoute{"h1": {blog}}
	if got := summary(proxyBuild(t, testConfig("v1"), hosts, Options{Destroy: true})); strings.Contains(got, "berth-proxy") {
		t.Errorf("a service that never used the proxy plans it:\n%s", got)
	}
}
