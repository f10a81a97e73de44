package dockerapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestEnsureNetworkCreatesOnlyAMissingNetwork(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["GET /networks/berth"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"message":"network berth not found"}`)
	}
	f.routes["POST /networks/create"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, `{"Id":"abc","Warning":""}`)
	}
	c, _ := newTestClient(t, f)
	if err := c.EnsureNetwork(context.Background(), "berth", map[string]string{"berth.network": "true"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	if last.Method != "POST" || !strings.HasSuffix(last.Path, "/networks/create") ||
		!strings.Contains(last.Body, `"Name":"berth"`) || !strings.Contains(last.Body, `"Driver":"bridge"`) || !strings.Contains(last.Body, `"berth.network":"true"`) {
		t.Errorf("create request = %+v", last)
	}

	// An existing network is left alone.
	f2 := newFakeDaemon(t)
	f2.handle("GET /networks/berth", 200, "")
	c2, _ := newTestClient(t, f2)
	if err := c2.EnsureNetwork(context.Background(), "berth", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range f2.requests() {
		if r.Method == "POST" {
			t.Errorf("created an existing network: %+v", r)
		}
	}
}

func TestEnsureNetworkNamesHostAndNetworkOnError(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["GET /networks/berth"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, `{"message":"boom"}`)
	}
	c, _ := newTestClient(t, f)
	err := c.EnsureNetwork(context.Background(), "berth", nil)
	var api *APIError
	if err == nil || !errors.As(err, &api) || !strings.Contains(err.Error(), "host h2: docker network inspect berth: boom") {
		t.Errorf("err = %v", err)
	}
}
