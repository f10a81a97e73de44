//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// A route's per-request options reach the real kamal-proxy: it accepts
// every flag berth sends and keeps them in its state.
func TestProxyOptionsReachKamalProxy(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxopt")
	hcl := strings.Replace(proxiedConfig(l, svc, "v1", true), `drain_timeout  = "5s"`, `drain_timeout  = "5s"
    response_timeout = "45s"
    forward_headers  = false
    buffering {
      requests         = true
      responses        = true
      max_request_body = 1000000
      memory           = 500000
    }
    logging {
      request_headers  = ["X-Request-Start"]
      response_headers = ["X-Cache"]
    }`, 1)
	r := l.Berth(t, l.WriteConfig(t, hcl), "apply", "--auto-approve")
	if r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	h1, h2 := addrs(t, l)
	mustServeOn(t, "v1", h1, h2)
	state := l.MustSSH(t, "h1", "docker cp berth-proxy:/home/kamal-proxy/.config/kamal-proxy/kamal-proxy.state - | tar -xOf -")
	for _, want := range []string{`"response_timeout":45000000000`, `"buffer_requests":true`, `"buffer_responses":true`,
		`"max_request_body_size":1000000`, `"max_memory_buffer_size":500000`, `"log_request_headers":["X-Request-Start"]`,
		`"log_response_headers":["X-Cache"]`, `"forward_headers":false`} {
		if !strings.Contains(state, want) {
			t.Errorf("kamal-proxy's state lacks %s:\n%.3000s", want, state)
		}
	}
}
