package deploy

import (
	"reflect"
	"testing"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// listOutput is what `kamal-proxy list` (v0.9.2) printed on the lab.
const listOutput = "\x1b[3;94mService\x1b[0m     \x1b[3;94mHost\x1b[0m  \x1b[3;94mPath\x1b[0m  \x1b[3;94mTarget\x1b[0m             \x1b[3;94mState\x1b[0m    \x1b[3;94mTLS\x1b[0m  \n" +
	"\x1b[1;34mshop-web\x1b[0m    \x1b[m*\x1b[0m     \x1b[m/\x1b[0m     \x1b[m0123456789ab:8080\x1b[0m  \x1b[mstopped\x1b[0m  \x1b[mno\x1b[0m   \n" +
	"\x1b[1;34mother-web\x1b[0m   \x1b[mx.io\x1b[0m  \x1b[m/\x1b[0m     \x1b[mfedcba987654:3000\x1b[0m  \x1b[mrunning\x1b[0m  \x1b[mno\x1b[0m   \n"

// The service's own routes come first, then those of the other services
// sharing the proxy, marked.
func TestProxyRoutesOwnFirstThenOthers(t *testing.T) {
	cfg := &lang.Config{Service: lang.Service{Name: "shop"}, Roles: []lang.Role{{Name: "web"}}}
	cs := []planner.Container{{ID: "0123456789abcdef", Name: "shop-web-v2", Role: "web", Labels: map[string]string{planner.LabelService: "shop"}}}
	got := proxyRoutes(cfg, []planner.HostState{{Host: "h1", Containers: cs, Routes: planner.ParseProxyList(listOutput)}})
	want := []ProxyRoute{{Host: "h1", Service: "shop-web", Match: "*", Path: "/", Target: "0123456789ab:8080", Container: "shop-web-v2",
		State: "stopped", Maintenance: true},
		{Host: "h1", Service: "other-web", Match: "x.io", Path: "/", Target: "fedcba987654:3000", State: "running", Other: true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
