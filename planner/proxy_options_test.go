package planner

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
)

func TestRouteOptionsArgs(t *testing.T) {
	yes := true
	o := routeOptions(lang.ProxyOptions{ResponseTimeout: 45 * time.Second, ForwardHeaders: &yes, BufferRequests: true,
		BufferResponses: true, MaxRequestBody: 1000, MaxResponseBody: 2000, BufferMemory: 500,
		LogRequestHeaders: []string{"X-Request-Start"}, LogResponseHeaders: []string{"X-Cache", "Age"}})
	want := []string{"--target-timeout", "45s", "--forward-headers=true", "--buffer-requests", "--max-request-body", "1000",
		"--buffer-responses", "--max-response-body", "2000", "--buffer-memory", "500",
		"--log-request-header", "X-Request-Start", "--log-response-header", "X-Cache", "--log-response-header", "Age"}
	if got := o.Args(); !slices.Equal(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
	if o := routeOptions(lang.ProxyOptions{}); o != nil || o.Args() != nil {
		t.Errorf("no options: %+v", o)
	}
}

func TestRouteOptionsChangeIsAReplace(t *testing.T) {
	old := proxiedConfig("v1")
	cfg := proxiedConfig("v1")
	cfg.Roles[0].Proxy.Options.ResponseTimeout = time.Minute
	p := proxyBuild(t, cfg, withProxies(deployed(old, digestV1), old), Options{})
	if got := summary(p); !strings.Contains(got, "h1/web replace") {
		t.Fatalf("a new response timeout:\n%s", got)
	}
	var reason string
	for _, r := range p.Changes[0].Reasons {
		if r.Field == "proxy" {
			reason = r.New
		}
	}
	if !strings.HasSuffix(reason, ", options --target-timeout 1m0s") {
		t.Errorf("reason %q", reason)
	}
	// No options: the route's JSON (and every container's config hash) as before.
	if s := Spec(old, &old.Roles[0], "h1", digestV1).Labels[LabelSpec]; strings.Contains(s, "options") || strings.Contains(s, "tls") {
		t.Errorf("spec label %s", s)
	}
}
