package localregistry

import (
	"context"
	"net"
	"strconv"
	"testing"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The registry starts on the loopback, answers, is reused by a second
// Start, and stops with Close.
func TestStartAndClose(t *testing.T) {
	if _, err := findBinary(); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	port := freePort(t)
	dir := t.TempDir()
	r, err := Start(ctx, port, dir)
	if err != nil {
		t.Fatal(err)
	}
	if r.Addr != "127.0.0.1:"+strconv.Itoa(port) || !answers(ctx, r.Addr) {
		t.Fatalf("not answering at %s", r.Addr)
	}
	again, err := Start(ctx, port, dir)
	if err != nil || again.cmd != nil {
		t.Errorf("a second Start did not reuse the running registry: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if answers(ctx, r.Addr) {
		t.Error("still answering after Close")
	}
}

func TestDefaultDir(t *testing.T) {
	if got := DefaultDir("/home/u", "", 5555); got != "/home/u/.cache/berth/registry-5555" {
		t.Error(got)
	}
	if got := DefaultDir("/home/u", "/c", 5555); got != "/c/berth/registry-5555" {
		t.Error(got)
	}
}
