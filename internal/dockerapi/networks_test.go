package dockerapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
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

func TestConnectNetworkGivesAliasesAndToleratesAJoinedContainer(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("POST /networks/berth/connect", 200, "")
	c, _ := newTestClient(t, f)
	if err := c.ConnectNetwork(context.Background(), "berth", "abc", []string{"db"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if last := reqs[len(reqs)-1]; !strings.Contains(last.Body, `"Container":"abc"`) || !strings.Contains(last.Body, `"Aliases":["db"]`) {
		t.Errorf("connect request = %+v", last)
	}
	f2 := newFakeDaemon(t)
	f2.routes["POST /networks/berth/connect"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		io.WriteString(w, `{"message":"endpoint with name shop-web-v1 already exists in network berth"}`)
	}
	c2, _ := newTestClient(t, f2)
	if err := c2.ConnectNetwork(context.Background(), "berth", "abc", nil); err != nil {
		t.Errorf("a container already on the network: %v", err)
	}
}

func TestRemoveNetworkOfNoneIsNoError(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["DELETE /networks/berth-shop"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"message":"network berth-shop not found"}`)
	}
	c, _ := newTestClient(t, f)
	if err := c.RemoveNetwork(context.Background(), "berth-shop"); err != nil {
		t.Errorf("RemoveNetwork of a missing network: %v", err)
	}
}

func TestCreateGivesAliasesOnItsNetwork(t *testing.T) {
	b := CreateSpec{Image: "pg", Network: "berth-shop", Aliases: []string{"db", "shop-db"}}.body()
	if b.HostConfig.NetworkMode != "berth-shop" || b.NetworkingConfig == nil ||
		!slices.Equal(b.NetworkingConfig.EndpointsConfig["berth-shop"].Aliases, []string{"db", "shop-db"}) {
		t.Errorf("body = %+v", b)
	}
	if b := (CreateSpec{Image: "pg", Network: "berth-shop"}).body(); b.NetworkingConfig != nil {
		t.Errorf("no aliases, yet a NetworkingConfig: %+v", b.NetworkingConfig)
	}
}
