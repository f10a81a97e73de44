//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A role's error_pages folder is copied into the proxy's volume: in
// maintenance, requests get 503 with the role's own page and the message,
// through a redeploy; off, 200 again.
func TestProxyErrorPagesInMaintenance(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxpg")
	name := svc + ".test"
	dir := func(v string) string {
		hcl := strings.Replace(namedProxyConfig(l, svc, v, name), "app_port       = 8080", "app_port       = 8080\n    error_pages    = \"pages\"", 1)
		d := l.WriteConfig(t, hcl)
		if err := os.Mkdir(filepath.Join(d, "pages"), 0o755); err != nil {
			t.Fatal(err)
		}
		page := "<h1>" + svc + " is resting</h1><p>{{ .Message }}</p>"
		if err := os.WriteFile(filepath.Join(d, "pages", "503.html"), []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	mustApply(t, l, dir("v1"))
	h1, h2 := addrs(t, l)
	mustAnswer(t, name, "/", 200, "v1", h1, h2)
	if r := l.Berth(t, dir("v1"), "maintenance", "on", "--message", "Back at six"); r.Code != 0 {
		t.Fatalf("maintenance on: %s", r)
	}
	page := svc + " is resting</h1><p>Back at six</p>"
	mustAnswer(t, name, "/", 503, page, h1, h2)
	mustApply(t, l, dir("v2"))
	mustAnswer(t, name, "/", 503, page, h1, h2)
	if r := l.Berth(t, dir("v2"), "maintenance", "off"); r.Code != 0 {
		t.Fatalf("maintenance off: %s", r)
	}
	mustAnswer(t, name, "/", 200, "v2", h1, h2)
}
