package sshx

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestChannelOpenRefusesWhatCannotBeForwarded(t *testing.T) {
	for _, tc := range []struct{ network, addr, want string }{
		{"udp", "10.0.0.1:53", `network "udp"`},
		{"tcp", "10.0.0.1", "missing port"},
		{"tcp", "10.0.0.1:70000", "port of"},
	} {
		if _, _, err := channelOpen(tc.network, tc.addr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("channelOpen(%s, %s) = %v, want %q", tc.network, tc.addr, err, tc.want)
		}
	}
	kind, payload, err := channelOpen("unix", "/var/run/docker.sock")
	// string, string, uint32: 4+20, 4+0, 4
	if err != nil || kind != "direct-streamlocal@openssh.com" || len(payload) != 4+len("/var/run/docker.sock")+4+4 {
		t.Fatalf("unix: %s %d bytes %v", kind, len(payload), err)
	}
}

func TestDialContextEndsWithItsContext(t *testing.T) {
	f := newFixture(t)
	c, err := f.pool(t, nil).Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.DialContext(ctx, "unix", "/var/run/docker.sock"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
