//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// httpCheck is the web role's health check as an HTTP probe that berth
// sends itself, through the SSH connection, to the container's address.
const httpCheck = `healthcheck {
    http     = { path = "/up", port = 8080 }
    interval = "1s"
    deadline = "4s"
  }`

func withHTTPCheck(cfg string) string {
	return strings.Replace(cfg, `healthcheck {
    cmd      = ["/app", "check"]
    interval = "1s"
    deadline = "15s"
  }`, httpCheck, 1)
}

// A role with an http health check deploys once GET /up answers 2xx, and
// one whose /up never does closes the barrier with the status it got.
func TestApplyHTTPHealthCheck(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "httphc")
	good := withHTTPCheck(appConfig(l, svc, "v1", ""))
	if !strings.Contains(good, `http     = { path = "/up", port = 8080 }`) {
		t.Fatal("the configuration has no http health check")
	}
	mustApply(t, l, l.WriteConfig(t, good))
	mustServe(t, l, "v1")

	r := l.Berth(t, l.WriteConfig(t, withHTTPCheck(appConfig(l, svc, "unhealthy", ""))), "apply", "--auto-approve")
	if r.Code != 1 {
		t.Fatalf("want exit 1: %s", r)
	}
	for _, want := range []string{"barrier closed", "h1/web", "GET /up: 503"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	mustServe(t, l, "v1")
}
