//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// An accessory with a proxy block (a docs site) is routed by the shared
// proxy next to the service's web role, by its own host name; a change of
// it switches the route to its new container; it shows in status.
func TestProxiedAccessory(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxac")
	web, docs := svc+".test", "docs."+svc+".test"
	config := func(edition string) string {
		return namedProxyConfig(l, svc, "v1", web) + fmt.Sprintf(`
accessory "docs" {
  image = "%s/app:v2"
  host  = host.h1
  cmd   = ["/app", "serve"]
  env   = { EDITION = %q }
  proxy {
    app_port       = 8080
    host           = %q
    deploy_timeout = "10s"
    drain_timeout  = "2s"
  }
}
`, Registry, edition, docs)
	}
	mustApply(t, l, l.WriteConfig(t, config("first")))
	h1, h2 := addrs(t, l)
	mustAnswer(t, web, "/", 200, "v1", h1, h2)
	mustAnswer(t, docs, "/", 200, "v2", h1)
	dir := l.WriteConfig(t, config("second"))
	r := l.Berth(t, dir, "apply", "--auto-approve")
	if r.Code != 0 || !strings.Contains(r.Stdout, "proxy routes "+svc+"-docs to "+svc+"-docs") {
		t.Fatalf("apply a changed docs: %s", r)
	}
	mustAnswer(t, docs, "/", 200, "v2", h1)
	st := l.Berth(t, dir, "status")
	if !strings.Contains(st.Stdout, "h1  "+svc+"-docs  host "+docs) {
		t.Errorf("status lacks the docs route:\n%s", st.Stdout)
	}
}
