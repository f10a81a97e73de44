package main

import (
	"bytes"
	"testing"

	"github.com/berth-sh/berth/internal/deploy"
)

func TestRoutesTable(t *testing.T) {
	var b bytes.Buffer
	routesTable(&b, []deploy.ProxyRoute{{Host: "h1", Service: "shop-web", Match: "*", Path: "/", Target: "0123456789ab:8080",
		Container: "shop-web-v2", State: "running"}})
	if s := b.String(); s != "\nProxy routes:\n  h1  shop-web  host *, path / -> shop-web-v2 (0123456789ab:8080)  running\n" {
		t.Errorf("table:\n%q", s)
	}
}
