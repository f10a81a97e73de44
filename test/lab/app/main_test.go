package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func withBuild(t *testing.T, v, m string) {
	t.Helper()
	oldV, oldM := version, mode
	version, mode = v, m
	t.Cleanup(func() { version, mode = oldV, oldM })
}

func TestUpByMode(t *testing.T) {
	start := time.Now()
	cases := []struct {
		mode  string
		after time.Duration
		code  int
		body  string
	}{
		{"good", 0, 200, "v7"},
		{"unhealthy", time.Hour, 503, "v7 not ready (unhealthy)"},
		{"slow", time.Second, 503, "v7 not ready (slow)"},
		{"slow", slowStart, 200, "v7"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s+%s", c.mode, c.after), func(t *testing.T) {
			withBuild(t, "v7", c.mode)
			srv := httptest.NewServer(handler(start.Add(-c.after)))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/up")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.code || string(b) != c.body {
				t.Errorf("GET /up: %d %q, want %d %q", resp.StatusCode, b, c.code, c.body)
			}
		})
	}
}

func TestBrokenExitsAtOnce(t *testing.T) {
	withBuild(t, "broken", "broken")
	done := make(chan int, 1)
	go func() { done <- run([]string{"serve"}) }()
	select {
	case code := <-done:
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a broken build kept running")
	}
}

func TestCheck(t *testing.T) {
	for _, m := range []string{"good", "unhealthy"} {
		withBuild(t, "v1", m)
		srv := httptest.NewServer(handler(time.Now()))
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
		err := check(port)
		srv.Close()
		if (err == nil) != (m == "good") {
			t.Errorf("mode %s: check: %v", m, err)
		}
	}
}

func TestCacheAnswersAndStops(t *testing.T) {
	withBuild(t, "8", "good")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cache(ctx, port) }()
	var conn net.Conn
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err = net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(conn, "PING\r\nVERSION\r\nNOPE\r\nQUIT\r\n")
	got, _ := io.ReadAll(bufio.NewReader(conn))
	conn.Close()
	if want := "+PONG\r\n+8\r\n-ERR unknown command\r\n+OK\r\n"; string(got) != want {
		t.Errorf("cache answered %q, want %q", got, want)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("cache after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cache did not stop")
	}
}
