package planner

import (
	"reflect"
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
