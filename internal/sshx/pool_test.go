package sshx

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

type fixture struct {
	srv        *testServer
	dir        string
	identity   string
	knownHosts string
}

// newFixture starts a server that trusts a fresh client key and writes a
// known_hosts file holding the server's key.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	srv := startServer(t)
	id, pub := writeKey(t, dir, "")
	srv.authorize(pub)
	kh := filepath.Join(dir, "known_hosts")
	writeKnownHosts(t, kh, srv.addr, srv.hostKeys[0].PublicKey())
	return &fixture{srv: srv, dir: dir, identity: id, knownHosts: kh}
}

func writeKnownHosts(t *testing.T, path, addr string, keys ...ssh.PublicKey) {
	t.Helper()
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{knownhosts.Normalize(addr)}, k) + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) pool(t *testing.T, mod func(*Options)) *Pool {
	t.Helper()
	opts := Options{
		Config: Config{User: "deploy", Port: 22, Identity: f.identity, KnownHosts: f.knownHosts,
			HostKeyPolicy: PolicyStrict, ConnectTimeout: 3 * time.Second, CommandTimeout: 10 * time.Second},
		Hosts: []Host{{Name: "h1", Address: "127.0.0.1", Port: f.srv.port()}},
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func run(t *testing.T, p *Pool, cmd string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := p.Conn(ctx, "h1")
	if err != nil {
		return "", err
	}
	out, err := c.Run(ctx, cmd, nil)
	return string(out), err
}

func TestRunOnKnownHost(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	out, err := run(t, p, "hostname")
	if err != nil {
		t.Fatal(err)
	}
	if out != "testhost\n" {
		t.Fatalf("stdout = %q", out)
	}
	c, _ := p.Conn(context.Background(), "h1")
	if c.Host() != "h1" {
		t.Fatalf("Host() = %q", c.Host())
	}
	in, err := c.Run(context.Background(), "cat", strings.NewReader("from stdin"))
	if err != nil || string(in) != "from stdin" {
		t.Fatalf("cat: %q, %v", in, err)
	}
}

func TestExitErrorCarriesStatusAndStderr(t *testing.T) {
	f := newFixture(t)
	_, err := run(t, f.pool(t, nil), "fail 3 disk full")
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ExitError", err)
	}
	if ee.Status != 3 || ee.Stderr != "disk full" || ee.Host != "h1" || ee.Cmd != "fail 3 disk full" {
		t.Fatalf("ExitError = %+v", ee)
	}
	if !strings.Contains(err.Error(), "host h1") {
		t.Fatalf("error does not name the host: %v", err)
	}
}

func TestUnknownHostKeyRefused(t *testing.T) {
	f := newFixture(t)
	if err := os.WriteFile(f.knownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, f.pool(t, nil), "hostname")
	if !errors.Is(err, ErrUnknownHostKey) {
		t.Fatalf("err = %v, want ErrUnknownHostKey", err)
	}
	for _, want := range []string{"host h1 (" + f.srv.addr + ")", f.knownHosts, "ssh-keyscan", "accept-new"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if b, _ := os.ReadFile(f.knownHosts); len(b) != 0 {
		t.Fatalf("strict policy wrote known_hosts: %q", b)
	}
}

func TestMissingKnownHostsFileRefused(t *testing.T) {
	f := newFixture(t)
	f.knownHosts = filepath.Join(f.dir, "nope", "known_hosts")
	_, err := run(t, f.pool(t, nil), "hostname")
	if !errors.Is(err, ErrUnknownHostKey) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v, want ErrUnknownHostKey saying the file does not exist", err)
	}
}

func TestHostKeyMismatchRefused(t *testing.T) {
	for _, policy := range []string{PolicyStrict, PolicyAcceptNew} {
		t.Run(policy, func(t *testing.T) {
			f := newFixture(t)
			other := newEd25519Signer(t).PublicKey()
			writeKnownHosts(t, f.knownHosts, f.srv.addr, other)
			before, _ := os.ReadFile(f.knownHosts)
			_, err := run(t, f.pool(t, func(o *Options) { o.Config.HostKeyPolicy = policy }), "hostname")
			if !errors.Is(err, ErrHostKeyMismatch) {
				t.Fatalf("err = %v, want ErrHostKeyMismatch", err)
			}
			if !strings.Contains(err.Error(), "man in the middle") || !strings.Contains(err.Error(), "host h1") {
				t.Errorf("error does not explain itself: %v", err)
			}
			after, _ := os.ReadFile(f.knownHosts)
			if !bytes.Equal(before, after) {
				t.Fatalf("known_hosts changed on a mismatch")
			}
		})
	}
}

func TestAcceptNewRecordsKey(t *testing.T) {
	f := newFixture(t)
	f.knownHosts = filepath.Join(f.dir, "fresh", "known_hosts")
	p := f.pool(t, func(o *Options) { o.Config.HostKeyPolicy = PolicyAcceptNew })
	if _, err := run(t, p, "hostname"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.knownHosts)
	if err != nil {
		t.Fatal(err)
	}
	want := knownhosts.Line([]string{knownhosts.Normalize(f.srv.addr)}, f.srv.hostKeys[0].PublicKey())
	if strings.TrimSpace(string(b)) != want {
		t.Fatalf("known_hosts = %q, want %q", b, want)
	}
	// The recorded key now satisfies the strict policy.
	if _, err := run(t, f.pool(t, nil), "hostname"); err != nil {
		t.Fatalf("strict after accept-new: %v", err)
	}
}

func TestAuthRefusedNamesUserAndIdentity(t *testing.T) {
	f := newFixture(t)
	other, _ := writeKey(t, f.dir, "")
	f.identity = other
	_, err := run(t, f.pool(t, nil), "hostname")
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	for _, want := range []string{"host h1", "user deploy", other} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestEncryptedKeyWithoutAgent(t *testing.T) {
	f := newFixture(t)
	// A throwaway ed25519 key encrypted with the passphrase "hunter2"
	// (generating one takes seconds: bcrypt).
	f.identity = filepath.Join(f.dir, "encrypted")
	b, err := os.ReadFile("testdata/encrypted_ed25519")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.identity, b, 0o600)
	_, err = run(t, f.pool(t, nil), "hostname")
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "passphrase") || !strings.Contains(err.Error(), "ssh-add") {
		t.Fatalf("err = %v, want ErrAuth explaining the passphrase", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatal("passphrase leaked")
	}
}

func TestAgentAuth(t *testing.T) {
	f := newFixture(t)
	keyring := agent.NewKeyring()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	f.srv.authorize(signer.PublicKey())
	sock := filepath.Join(f.dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(keyring, c) }()
		}
	}()
	p := f.pool(t, func(o *Options) {
		o.Config.Identity = ""
		o.Environ = []string{"HOME=/nowhere", "SSH_AUTH_SOCK=" + sock}
	})
	if _, err := run(t, p, "hostname"); err != nil {
		t.Fatal(err)
	}
}

func TestNoCredentials(t *testing.T) {
	f := newFixture(t)
	_, err := run(t, f.pool(t, func(o *Options) { o.Config.Identity = "" }), "hostname")
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
		t.Fatalf("err = %v", err)
	}
}

func TestOneConnectionSharedByManyGoroutines(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				c, err := p.Conn(context.Background(), "h1")
				if err != nil {
					errs <- err
					return
				}
				want := fmt.Sprintf("g%d-%d", g, i)
				out, err := c.Run(context.Background(), "echo "+want, nil)
				if err != nil || string(out) != want+"\n" {
					errs <- fmt.Errorf("echo %s: %q %v", want, out, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p.Dials() != 1 || int64(f.srv.Connections()) != 1 {
		t.Fatalf("Dials() = %d, server connections = %d; want 1", p.Dials(), int64(f.srv.Connections()))
	}
}

func TestCommandTimeout(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, func(o *Options) { o.Config.CommandTimeout = 200 * time.Millisecond })
	start := time.Now()
	_, err := run(t, p, "sleep 30")
	if !errors.Is(err, ErrCommandTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrCommandTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	waitEnded(t, f.srv, "sleep 30")
}

func TestContextCancelEndsRemoteCommand(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	c, err := p.Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	_, err = c.Run(ctx, "sleep 30", nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	select {
	case sig := <-f.srv.signals:
		if sig != "TERM" {
			t.Fatalf("signal = %q", sig)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("server got no signal")
	}
	waitEnded(t, f.srv, "sleep 30")
	// The connection survives a cancelled command.
	if out, err := c.Run(context.Background(), "echo still", nil); err != nil || string(out) != "still\n" {
		t.Fatalf("after cancel: %q %v", out, err)
	}
}

func waitEnded(t *testing.T, srv *testServer, cmd string) {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		select {
		case c := <-srv.ended:
			if c == cmd {
				return
			}
		case <-deadline:
			t.Fatalf("session %q did not end on the server", cmd)
		}
	}
}

func TestDeadHostNoticedAndRedialled(t *testing.T) {
	p, fr := frozenFixture(t, 100*time.Millisecond)
	c, err := p.Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	fr.frozen.Store(true)
	deadline := time.Now().Add(3 * time.Second)
	for c.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("a frozen connection was not noticed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.Run(context.Background(), "echo x", nil); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Run on a dead connection: %v, want ErrUnreachable", err)
	}
	fr.frozen.Store(false)
	out, err := run(t, p, "echo back")
	if err != nil || out != "back\n" {
		t.Fatalf("after redial: %q %v", out, err)
	}
	if p.Dials() != 2 {
		t.Fatalf("Dials() = %d, want 2", p.Dials())
	}
}

func TestUnreachable(t *testing.T) {
	f := newFixture(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	_, err := run(t, f.pool(t, func(o *Options) { o.Hosts[0].Port = addr.Port }), "hostname")
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "host h1") {
		t.Fatalf("err = %v, want ErrUnreachable naming h1", err)
	}
}

func TestUnknownHostName(t *testing.T) {
	f := newFixture(t)
	_, err := f.pool(t, nil).Conn(context.Background(), "h9")
	if !errors.Is(err, ErrUnknownHost) {
		t.Fatalf("err = %v", err)
	}
}

func TestDialContextForwardsUnixAndTCP(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	c, err := p.Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong "+r.URL.Path) })

	tcpSrv := httptest.NewServer(handler)
	t.Cleanup(tcpSrv.Close)
	sock := filepath.Join(f.dir, "d.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	unixSrv := httptest.NewUnstartedServer(handler)
	unixSrv.Listener = ul
	unixSrv.Start()
	t.Cleanup(unixSrv.Close)

	for _, tc := range []struct{ network, addr string }{
		{"unix", sock},
		{"tcp", strings.TrimPrefix(tcpSrv.URL, "http://")},
	} {
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return c.DialContext(ctx, tc.network, tc.addr)
		}}}
		for range 3 {
			resp, err := hc.Get("http://remote/_ping")
			if err != nil {
				t.Fatalf("%s: %v", tc.network, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "pong /_ping" {
				t.Fatalf("%s: body %q", tc.network, b)
			}
		}
		hc.CloseIdleConnections()
	}
	if _, err := c.DialContext(context.Background(), "unix", filepath.Join(f.dir, "missing.sock")); err == nil || !strings.Contains(err.Error(), "host h1") {
		t.Fatalf("dial to a missing socket: %v", err)
	}
	if p.Dials() != 1 {
		t.Fatalf("Dials() = %d", p.Dials())
	}
}

func TestProxyJump(t *testing.T) {
	f := newFixture(t)
	target := startServer(t)
	target.authorize(f.srv.AuthorizedKeys()[1])
	writeKnownHosts(t, f.knownHosts, f.srv.addr, f.srv.hostKeys[0].PublicKey())
	line := knownhosts.Line([]string{knownhosts.Normalize(target.addr)}, target.hostKeys[0].PublicKey())
	fh, _ := os.OpenFile(f.knownHosts, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(line + "\n")
	fh.Close()
	p := f.pool(t, func(o *Options) {
		o.Config.ProxyJump = "jumper@" + f.srv.addr
		o.Hosts[0].Port = target.port()
		o.Hosts = append(o.Hosts, Host{Name: "h2", Address: "127.0.0.1", Port: target.port()})
	})
	out, err := run(t, p, "echo via bastion")
	if err != nil || out != "via bastion\n" {
		t.Fatalf("%q %v", out, err)
	}
	c2, err := p.Conn(context.Background(), "h2")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c2.Run(context.Background(), "hostname", nil); err != nil || string(out) != "testhost\n" {
		t.Fatalf("h2: %q %v", out, err)
	}
	// One bastion connection serves both hosts.
	if int64(target.Connections()) != 2 || int64(f.srv.Connections()) != 1 || p.Dials() != 3 {
		t.Fatalf("connections: target %d bastion %d dials %d", int64(target.Connections()), int64(f.srv.Connections()), p.Dials())
	}
	// A bastion whose key is unknown is refused like any host.
	writeKnownHosts(t, f.knownHosts, target.addr, target.hostKeys[0].PublicKey())
	_, err = run(t, f.pool(t, func(o *Options) {
		o.Config.ProxyJump = f.srv.addr
		o.Hosts[0].Port = target.port()
	}), "hostname")
	if !errors.Is(err, ErrUnknownHostKey) || !strings.Contains(err.Error(), "bastion 127.0.0.1") {
		t.Fatalf("unknown bastion: %v", err)
	}
}

func TestAdvertisesRecordedHostKeyAlgorithm(t *testing.T) {
	f := newFixture(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSigner, _ := ssh.NewSignerFromKey(rsaKey)
	srv := startServer(t, newEd25519Signer(t), rsaSigner)
	srv.authorize(f.srv.AuthorizedKeys()[1])
	// Only the RSA key is recorded; the ed25519 key would be preferred by default.
	writeKnownHosts(t, f.knownHosts, srv.addr, rsaSigner.PublicKey())
	p := f.pool(t, func(o *Options) { o.Hosts[0].Port = srv.port() })
	if _, err := run(t, p, "hostname"); err != nil {
		t.Fatalf("with only an RSA key recorded: %v", err)
	}
}

func TestNewPoolValidates(t *testing.T) {
	base := Config{User: "root", Port: 22, KnownHosts: "/x", HostKeyPolicy: PolicyStrict,
		ConnectTimeout: time.Second, CommandTimeout: time.Second}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	if _, err := NewPool(Options{Config: base}); err != nil {
		t.Fatalf("NewPool refused a complete config: %v", err)
	}
	for name, o := range map[string]Options{
		"policy":       {Config: with(func(c *Config) { c.HostKeyPolicy = "yolo" })},
		"no knownhost": {Config: with(func(c *Config) { c.KnownHosts = "" })},
		"no user":      {Config: with(func(c *Config) { c.User = "" })},
		"no port":      {Config: with(func(c *Config) { c.Port = 0 })},
		"no connect":   {Config: with(func(c *Config) { c.ConnectTimeout = 0 })},
		"no command":   {Config: with(func(c *Config) { c.CommandTimeout = 0 })},
		"jump":         {Config: with(func(c *Config) { c.ProxyJump = "ops@bastion:notaport" })},
		"dup host":     {Config: base, Hosts: []Host{{Name: "a", Address: "x"}, {Name: "a", Address: "y"}}},
		"no address":   {Config: base, Hosts: []Host{{Name: "a"}}},
	} {
		if _, err := NewPool(o); err == nil {
			t.Errorf("%s: NewPool accepted %+v", name, o)
		}
	}
}

func TestParseJump(t *testing.T) {
	for in, want := range map[string]string{
		"bastion":             "|bastion|22",
		"ops@bastion":         "ops|bastion|22",
		"ops@10.0.0.1:2222":   "ops|10.0.0.1|2222",
		"[2001:db8::1]:2200":  "|2001:db8::1|2200",
		"a@b@bastion.example": "a@b|bastion.example|22",
	} {
		u, h, p, err := parseJump(in)
		if got := fmt.Sprintf("%s|%s|%d", u, h, p); err != nil || got != want {
			t.Errorf("parseJump(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestPerHostUserOverridesDefault(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, func(o *Options) {
		o.Hosts = append(o.Hosts, Host{Name: "h2", Address: "127.0.0.1", Port: f.srv.port(), User: "ops"})
	})
	for _, h := range []string{"h1", "h2"} {
		c, err := p.Conn(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Run(context.Background(), "hostname", nil); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := <-f.srv.users, <-f.srv.users; a != "deploy" || b != "ops" {
		t.Fatalf("users %q, %q; want deploy (ssh block) then ops (host)", a, b)
	}
}

func TestSessionsPerConnectionAreBounded(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	c, err := p.Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 * MaxSessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Run(context.Background(), "sleep 0.05", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak := f.srv.peak.Load(); peak > MaxSessions || peak < 2 {
		t.Fatalf("peak sessions = %d, want 2..%d", peak, MaxSessions)
	}
}

// frozenFixture is a pool whose one host h1 is reached through a freezer
// (known_hosts holds the key under the freezer's address).
func frozenFixture(t *testing.T, interval time.Duration) (*Pool, *freezer) {
	t.Helper()
	f := newFixture(t)
	fr := startFreezer(t, f.srv.addr)
	writeKnownHosts(t, f.knownHosts, fr.ln.Addr().String(), f.srv.hostKeys[0].PublicKey())
	_, portStr, _ := net.SplitHostPort(fr.ln.Addr().String())
	var port int
	fmt.Sscan(portStr, &port)
	return f.pool(t, func(o *Options) {
		o.Hosts[0].Port = port
		o.KeepaliveInterval = interval
	}), fr
}

// frozenConn is a connection to h1 through a freezer, with keepalives
// every interval, and a unix socket (listening, closed with the test) to
// forward to.
func frozenConn(t *testing.T, interval time.Duration) (*Conn, *freezer, string, net.Listener) {
	t.Helper()
	p, fr := frozenFixture(t, interval)
	c, err := p.Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "d.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ul.Close() })
	return c, fr, sock, ul
}

// An idle connection (nothing awaits an answer, the host was heard from
// lately) is not probed every interval: a fleet of idle connections costs
// no keepalive traffic until idleProbeEvery intervals have passed. That
// holds right after a command, whose last packet is ours (the reply to
// the host's channel close), and with a forwarded connection kept open
// after its answer (Docker's HTTP connection between requests).
func TestIdleConnectionIsNotProbedEveryInterval(t *testing.T) {
	c, fr, sock, ul := frozenConn(t, 50*time.Millisecond)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "pong") }))
	srv.Listener = ul
	srv.Start()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return c.DialContext(ctx, "unix", sock)
	}}}
	t.Cleanup(hc.CloseIdleConnections)
	resp, err := hc.Get("http://remote/_ping")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := c.Run(context.Background(), "echo x", nil); err != nil {
		t.Fatal(err)
	}
	// Once the host has had everything written so far (the close reply
	// among it), nothing more goes out.
	for deadline := time.Now().Add(2 * time.Second); fr.sent.Load() < c.activity.written.Load() && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
	}
	before := fr.sent.Load()
	if w := c.activity.written.Load(); before != w {
		t.Fatalf("the host had %d of the %d bytes written", before, w)
	}
	time.Sleep(8 * 50 * time.Millisecond) // a window of 8 intervals, fewer than idleProbeEvery
	if got := fr.sent.Load(); got != before {
		t.Fatalf("an idle connection sent %d bytes in 8 intervals, want none", got-before)
	}
}

// A request written on a forwarded connection awaits its answer: frozen
// before the answer, the connection is probed and closed within about
// three intervals.
func TestForwardedRequestAwaitingAnAnswerIsProbed(t *testing.T) {
	c, fr, sock, ul := frozenConn(t, 100*time.Millisecond)
	got := make(chan struct{})
	go func() {
		conn, err := ul.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 64)
		if n, _ := conn.Read(buf); n > 0 {
			close(got) // the request came; its answer never will
		}
		_, _ = io.Copy(io.Discard, conn)
	}()
	fc, err := c.DialContext(context.Background(), "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	if _, err := io.WriteString(fc, "GET /containers/x/stop HTTP/1.1\r\nHost: docker\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not arrive")
	}
	fr.frozen.Store(true)
	t0 := time.Now()
	for deadline := t0.Add(time.Duration(idleProbeEvery) * 100 * time.Millisecond); c.Alive() && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
	}
	if c.Alive() {
		t.Fatalf("a connection whose request awaits an answer was still alive %s after it froze", time.Since(t0))
	}
}

// A connection that awaits an answer is probed every interval: frozen
// while a command runs, it is closed within about three intervals, long
// before an idle one would be probed at all.
func TestConnectionAwaitingAnAnswerIsProbed(t *testing.T) {
	p, fr := frozenFixture(t, 100*time.Millisecond)
	c, err := p.Conn(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		close(started)
		_, _ = c.Run(context.Background(), "sleep 30", nil)
	}()
	<-started
	Eventually := func(d time.Duration, cond func() bool) bool {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if cond() {
				return true
			}
		}
		return cond()
	}
	// The command's request has gone out before the cable is pulled.
	if !Eventually(2*time.Second, func() bool { return fr.sent.Load() > 0 && c.activity.lastWrite.Load() > 0 }) {
		t.Fatal("the command was not sent")
	}
	time.Sleep(20 * time.Millisecond)
	fr.frozen.Store(true)
	t0 := time.Now()
	if !Eventually(time.Duration(idleProbeEvery)*100*time.Millisecond, func() bool { return !c.Alive() }) {
		t.Fatalf("a connection awaiting an answer was still alive %s after it froze", time.Since(t0))
	}
}
