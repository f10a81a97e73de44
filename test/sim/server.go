package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-sh/berth/test/sshxtest"
)

// DockerSocket is the only socket path a simulated host forwards to.
const DockerSocket = "/var/run/docker.sock"

// Options configure a fleet.
type Options struct {
	Hosts int
	// Latency is added before the answer to every Docker API request and
	// every exec command (not to the SSH handshake or channel opens).
	Latency time.Duration
	// KeyExchanges the hosts offer; nil = OpenSSHKeyExchanges.
	KeyExchanges []string
	// SharedPort gives every host its own loopback address (127.1.0.1,
	// 127.1.0.2, ...) on one shared port, served by one listener, instead
	// of its own port on 127.0.0.1: the fleet then holds one descriptor
	// per connection, not one more per host, which a 10,000-host fleet
	// needs under an open files limit of 20,000. The listener takes every
	// local address of the machine but serves only loopback connections.
	SharedPort bool
}

// OpenSSHKeyExchanges are the key exchanges of OpenSSH 9.2 (Debian 12,
// the lab's sshd) that golang.org/x/crypto/ssh speaks, in OpenSSH's
// order. Without the post-quantum mlkem768x25519, which that sshd lacks,
// a handshake with a simulated host costs what one with a real host does.
var OpenSSHKeyExchanges = []string{
	ssh.KeyExchangeCurve25519, ssh.KeyExchangeECDHP256, ssh.KeyExchangeECDHP384, ssh.KeyExchangeECDHP521,
	ssh.KeyExchangeDHGEXSHA256, ssh.KeyExchangeDH16SHA512, ssh.KeyExchangeDH14SHA256,
}

// Fleet is a set of simulated hosts h1..hN, each listening on its own
// 127.0.0.1 port.
type Fleet struct {
	Hosts []*Host

	kex       []string
	clientKey ed25519.PrivateKey
	clientPub ssh.PublicKey
	latency   atomic.Int64
	wg        sync.WaitGroup
	shared    net.Listener // with Options.SharedPort
	internMu  sync.Mutex
	interned  map[string]string // file contents written to many hosts, kept once
	byIP      map[string]*Host  // with Options.SharedPort
	open      atomic.Int64      // SSH connections open now, on every host
	peak      atomic.Int64      // the most open at once
}

// connOpened counts an SSH connection in, and the peak.
func (f *Fleet) connOpened() {
	n := f.open.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// PeakConnections is the most SSH connections the fleet had open at once
// since the last call, which starts counting again from those open now.
func (f *Fleet) PeakConnections() int64 {
	p := f.peak.Swap(f.open.Load())
	return p
}

// Host is one simulated host.
type Host struct {
	Name   string
	IP     string // "127.0.0.1", or the host's own with Options.SharedPort
	Port   int
	Docker *Docker

	fleet   *Fleet
	ln      net.Listener
	config  *ssh.ServerConfig
	hostKey ssh.PublicKey

	handshakes atomic.Int64
	execs      atomic.Int64
	sockets    atomic.Int64 // forwarded connections to the Docker socket
	keepalives atomic.Int64 // keepalive@openssh.com requests answered

	mu      sync.Mutex
	home    string            // a HOME for the deploy lock's scripts, made on first use
	audit   []string          // audit lines appended
	roster  map[string]string // roster files by path as written in the command
	unknown []string          // exec commands not simulated
	conns   map[*ssh.ServerConn]bool
	raws    map[net.Conn]bool // connections held without a handshake (FaultSilent)
	// sessions are the build sessions open on the host (buildsession.go).
	sessions map[string]*buildSession
	forwards map[uint32]*remoteForward // loopback ports forwarded to clients (forwards.go)
	done     bool
	fault    Fault
	quit     chan struct{} // closed by close
}

// Fault is how a host misbehaves, set with Host.SetFault.
type Fault int

const (
	// FaultNone: the host answers.
	FaultNone Fault = iota
	// FaultDown: the host closes new connections at once, and its open
	// ones, as when sshd is down.
	FaultDown
	// FaultSilent: the host accepts TCP connections but never speaks SSH
	// on them, and its open ones are closed: a dial ends at the client's
	// connect timeout.
	FaultSilent
)

// SetFault makes the host misbehave from now on (FaultNone: answer again).
// Connections open when the fault starts are closed.
func (h *Host) SetFault(f Fault) {
	h.mu.Lock()
	h.fault = f
	var conns []io.Closer
	if f != FaultNone {
		for c := range h.conns {
			conns = append(conns, c)
		}
		h.conns = map[*ssh.ServerConn]bool{}
	}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// Start starts opts.Hosts hosts. Close stops them.
func Start(opts Options) (*Fleet, error) {
	if opts.Hosts <= 0 {
		return nil, errors.New("sim: a fleet needs at least one host")
	}
	_, ck, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	cpub, err := ssh.NewPublicKey(ck.Public())
	if err != nil {
		return nil, err
	}
	f := &Fleet{clientKey: ck, clientPub: cpub, kex: opts.KeyExchanges}
	if f.kex == nil {
		f.kex = OpenSSHKeyExchanges
	}
	f.latency.Store(int64(opts.Latency))
	if opts.SharedPort {
		if f.shared, err = net.Listen("tcp", "0.0.0.0:0"); err != nil {
			return nil, fmt.Errorf("sim: listening: %w", err)
		}
		f.byIP = map[string]*Host{}
	}
	for i := 1; i <= opts.Hosts; i++ {
		h, err := f.startHost(fmt.Sprintf("h%d", i), i)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.Hosts = append(f.Hosts, h)
	}
	if f.shared != nil {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.acceptShared() }()
	}
	return f, nil
}

// intern keeps one copy of a file written to many hosts (a roster lists
// the whole fleet, on every host: quadratic memory otherwise).
func (f *Fleet) intern(b []byte) string {
	f.internMu.Lock()
	defer f.internMu.Unlock()
	if s, ok := f.interned[string(b)]; ok {
		return s
	}
	if f.interned == nil {
		f.interned = map[string]string{}
	}
	s := string(b)
	f.interned[s] = s
	return s
}

// sharedIP is the loopback address of host i (1-based) with
// Options.SharedPort: 127.1.0.1 to 127.1.0.250, 127.1.1.1, ...
func sharedIP(i int) string {
	i--
	return fmt.Sprintf("127.%d.%d.%d", 1+i/(250*250), i/250%250, i%250+1)
}

// acceptShared serves the shared port: each connection goes to the host
// whose address it was made to; one from outside the machine is closed.
func (f *Fleet) acceptShared() {
	for {
		raw, err := f.shared.Accept()
		if err != nil {
			return
		}
		local, _ := raw.LocalAddr().(*net.TCPAddr)
		remote, _ := raw.RemoteAddr().(*net.TCPAddr)
		var h *Host
		if local != nil && remote != nil && remote.IP.IsLoopback() {
			h = f.byIP[local.IP.String()]
		}
		if h == nil {
			_ = raw.Close()
			continue
		}
		f.wg.Add(1)
		go func() { defer f.wg.Done(); h.serveConn(raw) }()
	}
}

// SetLatency changes the per-command latency of every host.
func (f *Fleet) SetLatency(d time.Duration) { f.latency.Store(int64(d)) }

func (f *Fleet) sleep() {
	if d := time.Duration(f.latency.Load()); d > 0 {
		time.Sleep(d)
	}
}

func (f *Fleet) startHost(name string, i int) (*Host, error) {
	signer, err := sshxtest.NewSigner()
	if err != nil {
		return nil, err
	}
	h := &Host{Name: name, IP: "127.0.0.1", Docker: newDocker(), fleet: f,
		hostKey: signer.PublicKey(), roster: map[string]string{}, conns: map[*ssh.ServerConn]bool{},
		raws: map[net.Conn]bool{}, quit: make(chan struct{})}
	h.Docker.loopback = h.loopbackClient
	if f.shared != nil {
		h.IP, h.Port = sharedIP(i), f.shared.Addr().(*net.TCPAddr).Port
		f.byIP[h.IP] = h
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("sim: listening for %s: %w (raise the open files limit for big fleets, or use Options.SharedPort)", name, err)
		}
		h.ln, h.Port = ln, ln.Addr().(*net.TCPAddr).Port
	}
	want := string(f.clientPub.Marshal())
	h.config = &ssh.ServerConfig{
		Config: ssh.Config{KeyExchanges: f.kex},
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == want {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	h.config.AddHostKey(signer)
	if h.ln != nil {
		f.wg.Add(1)
		go func() { defer f.wg.Done(); h.accept() }()
	}
	return h, nil
}

// Addr is "IP:PORT".
func (h *Host) Addr() string { return net.JoinHostPort(h.IP, strconv.Itoa(h.Port)) }

// Handshakes is how many SSH connections the host accepted.
func (h *Host) Handshakes() int64 { return h.handshakes.Load() }

// Sockets is how many connections to the Docker socket were forwarded.
func (h *Host) Sockets() int64 { return h.sockets.Load() }

// Execs is how many exec commands the host ran.
func (h *Host) Execs() int64 { return h.execs.Load() }

// AuditLines returns the lines appended to audit logs so far.
func (h *Host) AuditLines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.audit...)
}

// Rosters returns the roster files written on the host, by path as the
// writing command named them.
func (h *Host) Rosters() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.roster)
}

// Locked reports whether some deploy lock is held on the host.
func (h *Host) Locked() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lockHeld()
}

// Keepalives is the fleet's total of keepalive probes answered.
func (f *Fleet) Keepalives() int64 {
	var n int64
	for _, h := range f.Hosts {
		n += h.keepalives.Load()
	}
	return n
}

// Handshakes is the fleet's total of accepted SSH connections.
func (f *Fleet) Handshakes() int64 {
	var n int64
	for _, h := range f.Hosts {
		n += h.Handshakes()
	}
	return n
}

// Requests is the fleet's total of Docker API requests.
func (f *Fleet) Requests() int64 {
	var n int64
	for _, h := range f.Hosts {
		n += h.Docker.Requests()
	}
	return n
}

// Close stops every host and waits for its goroutines.
func (f *Fleet) Close() {
	if f.shared != nil {
		_ = f.shared.Close()
	}
	for _, h := range f.Hosts {
		h.close()
	}
	f.wg.Wait()
}

func (h *Host) close() {
	if h.ln != nil {
		_ = h.ln.Close()
	}
	h.mu.Lock()
	if !h.done {
		close(h.quit)
	}
	h.done = true
	conns := h.conns
	h.conns = map[*ssh.ServerConn]bool{}
	raws := h.raws
	h.raws = map[net.Conn]bool{}
	h.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
	for c := range raws {
		_ = c.Close()
	}
	h.mu.Lock()
	if h.home != "" {
		_ = os.RemoveAll(h.home)
	}
	h.mu.Unlock()
}

// WriteClientFiles writes the client's private key (id_ed25519) and a
// known_hosts with every host's key into dir, and returns their paths.
func (f *Fleet) WriteClientFiles(dir string) (identity, knownHosts string, err error) {
	block, err := ssh.MarshalPrivateKey(f.clientKey, "")
	if err != nil {
		return "", "", err
	}
	identity = filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(identity, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", "", err
	}
	var b strings.Builder
	for _, h := range f.Hosts {
		fmt.Fprintf(&b, "[%s]:%d %s", h.IP, h.Port, ssh.MarshalAuthorizedKey(h.hostKey))
	}
	knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte(b.String()), 0o600); err != nil {
		return "", "", err
	}
	return identity, knownHosts, nil
}

func (h *Host) accept() {
	for {
		raw, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.fleet.wg.Add(1)
		go func() { defer h.fleet.wg.Done(); h.serveConn(raw) }()
	}
}

func (h *Host) serveConn(raw net.Conn) {
	h.mu.Lock()
	fault := h.fault
	if fault == FaultSilent && !h.done {
		h.raws[raw] = true
	}
	h.mu.Unlock()
	switch fault {
	case FaultDown:
		_ = raw.Close()
		return
	case FaultSilent:
		// Hold it, say nothing, until the client gives up or the fleet closes.
		_, _ = io.Copy(io.Discard, raw)
		h.mu.Lock()
		delete(h.raws, raw)
		h.mu.Unlock()
		_ = raw.Close()
		return
	}
	_ = raw.SetDeadline(time.Now().Add(30 * time.Second))
	sc, chans, reqs, err := ssh.NewServerConn(raw, h.config)
	if err != nil {
		_ = raw.Close()
		return
	}
	_ = raw.SetDeadline(time.Time{})
	h.handshakes.Add(1)
	h.mu.Lock()
	if h.done {
		h.mu.Unlock()
		_ = sc.Close()
		return
	}
	h.conns[sc] = true
	h.mu.Unlock()
	h.fleet.connOpened()
	defer func() {
		h.mu.Lock()
		delete(h.conns, sc)
		h.mu.Unlock()
		h.fleet.open.Add(-1)
		_ = sc.Close()
	}()
	go h.globalRequests(sc, reqs)
	var wg sync.WaitGroup
	for nc := range chans {
		switch nc.ChannelType() {
		case "direct-streamlocal@openssh.com", "direct-tcpip":
			network, addr, err := sshxtest.ForwardTarget(nc)
			switch {
			case err != nil:
				_ = nc.Reject(ssh.ConnectionFailed, err.Error())
			case network == "unix" && addr == DockerSocket:
				ch, creqs, err := nc.Accept()
				if err != nil {
					continue
				}
				go ssh.DiscardRequests(creqs)
				h.sockets.Add(1)
				wg.Add(1)
				go func() { defer wg.Done(); h.serveDocker(ch) }()
			case network == "unix":
				_ = nc.Reject(ssh.ConnectionFailed, "no such socket")
			default:
				// A bastion's forwarding (proxy_jump): to loopback only.
				host, _, _ := net.SplitHostPort(addr)
				if !net.ParseIP(host).IsLoopback() {
					_ = nc.Reject(ssh.Prohibited, "sim forwards to loopback only")
					continue
				}
				wg.Add(1)
				go func() { defer wg.Done(); h.forward(nc, addr) }()
			}
		case "session":
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			wg.Add(1)
			go func() { defer wg.Done(); h.serveSession(ch, creqs) }()
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "not simulated")
		}
	}
	wg.Wait()
}

// forward copies between a direct-tcpip channel and its connection until
// either ends.
func (h *Host) forward(nc ssh.NewChannel, addr string) {
	out, err := net.Dial("tcp", addr)
	done := make(chan struct{})
	go func() { sshxtest.Pipe(nc, out, err); close(done) }()
	select {
	case <-done:
	case <-h.quit:
		if out != nil {
			_ = out.Close()
		}
	}
}

// dockerConn is a connection to the Docker socket: a forwarded SSH
// channel, or a unix socket connection (ServeUnix).
type dockerConn interface {
	io.ReadWriteCloser
	CloseWrite() error
}

// serveDocker answers HTTP/1.1 requests on one forwarded connection until
// the client closes it.
func (h *Host) serveDocker(ch dockerConn) {
	defer ch.Close()
	br := bufio.NewReader(ch)
	bw := bufio.NewWriter(ch)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		h.fleet.sleep()
		if _, local := ch.(*net.UnixConn); local {
			req = req.WithContext(context.WithValue(req.Context(), localKey{}, true))
		}
		if id, ok := attachPath(req); ok {
			h.serveAttach(ch, br, bw, id)
			return
		}
		p := apiPath(req)
		if p == "/session" && req.Method == http.MethodPost {
			h.openBuildSession(ch, br, bw, req)
			return
		}
		rec := httptest.NewRecorder()
		if p == "/build" && req.Method == http.MethodPost {
			rec.Header().Set("Api-Version", h.Docker.APIVersion())
			h.build(rec, req)
		} else {
			h.Docker.ServeHTTP(rec, req)
		}
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len())
		resp.Header.Del("Transfer-Encoding")
		resp.Close = req.Close
		if err := resp.Write(bw); err != nil {
			return
		}
		if err := bw.Flush(); err != nil || req.Close {
			return
		}
	}
}

// apiPath is req's path without its "/v1.NN" prefix.
func apiPath(req *http.Request) string {
	path := req.URL.Path
	if strings.HasPrefix(path, "/v1.") {
		if i := strings.Index(path[1:], "/"); i >= 0 {
			path = path[i+1:]
		}
	}
	return path
}

// attachPath reports whether req is POST /containers/ID/attach, and ID.
func attachPath(req *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(apiPath(req), "/containers/")
	id, isAttach := strings.CutSuffix(rest, "/attach")
	return id, ok && isAttach && req.Method == http.MethodPost && !strings.Contains(id, "/")
}

// serveAttach takes over the connection of an attach request to a one-off
// container: once the container starts it runs the container's program
// with what the client sends as stdin (up to its end of writing, when
// the container keeps stdin open), writes the output and closes.
func (h *Host) serveAttach(ch dockerConn, br *bufio.Reader, bw *bufio.Writer, id string) {
	c, started, ok := h.Docker.attach(id)
	if !ok {
		_, _ = bw.WriteString("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n")
		_ = bw.Flush()
		return
	}
	kind := "application/vnd.docker.multiplexed-stream"
	if c.Tty {
		kind = "application/vnd.docker.raw-stream"
	}
	_, _ = bw.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: " + kind + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	if bw.Flush() != nil {
		return
	}
	select {
	case <-started:
	case <-h.quit:
		return
	}
	var stdin []byte
	if c.OpenStdin {
		stdin, _ = io.ReadAll(br)
	}
	res := run(c.Image, c.Cmd, c.Env, stdin)
	h.Docker.finish(c.ID, res) // exited before the stream ends: a wait after it finds it so
	_, _ = ch.Write(frames(res, c.Tty))
	_ = ch.CloseWrite()
}

// serveSession runs one exec request of a session channel.
func (h *Host) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			h.execs.Add(1)
			h.fleet.sleep()
			stdin, _ := io.ReadAll(ch)
			out, errOut, code := h.run(p.Command, stdin)
			_, _ = ch.Write([]byte(out))
			_, _ = ch.Stderr().Write([]byte(errOut))
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
			return
		default:
			if req.WantReply {
				_ = req.Reply(req.Type == "env", nil)
			}
		}
	}
}

// run fakes the shell commands berth sends: the deploy lock
// (executor/lock), the audit log (executor/audit) and the roster
// (executor/roster), matched by shape.
func (h *Host) run(cmd string, stdin []byte) (stdout, stderr string, code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case strings.Contains(cmd, "/.berth/locks"):
		// The deploy lock's scripts are real shell with a guard, tokens and
		// a heartbeat: they run for real, in a HOME of the host's own.
		return h.shell(cmd, stdin)
	case strings.Contains(cmd, "/.berth/audit") && strings.Contains(cmd, "cat >> "):
		for _, l := range strings.Split(strings.TrimSpace(string(stdin)), "\n") {
			if l != "" {
				h.audit = append(h.audit, l)
			}
		}
		return "", "", 0
	case strings.Contains(cmd, "/.berth/audit/") && (strings.HasPrefix(cmd, "cat ") || strings.HasPrefix(cmd, "tail ")):
		var b strings.Builder
		for _, l := range h.audit {
			b.WriteString(l + "\n")
		}
		return b.String(), "", 0
	case strings.Contains(cmd, "/.berth/roster") && strings.Contains(cmd, " && mv -f "):
		if _, rest, ok := strings.Cut(cmd, "-eq "); ok { // the size check: a cut-off file is not installed
			if f := strings.Fields(rest); len(f) == 0 || f[0] != strconv.Itoa(len(stdin)) {
				return "", "roster cut short\n", 1
			}
		}
		h.roster[strings.TrimSpace(after(cmd, " && mv -f "))] = h.fleet.intern(stdin)
		return "", "", 0
	case strings.HasPrefix(cmd, "cat ") && strings.Contains(cmd, "/.berth/roster/"):
		return h.roster[between(cmd, "cat ", " 2>/dev/null")], "", 0
	}
	h.unknown = append(h.unknown, "exec "+cmd)
	return "", "sim: command not simulated: " + cmd + "\n", 127
}

// after is what follows the last mv source of "... && mv -f SRC DST": DST.
func after(s, sep string) string {
	_, rest, _ := strings.Cut(s, sep)
	if i := strings.LastIndexByte(rest, ' '); i >= 0 {
		return rest[i+1:]
	}
	return rest
}

// shell runs cmd with /bin/sh in the host's own HOME (made on first use,
// removed with the fleet). The caller holds h.mu.
func (h *Host) shell(cmd string, stdin []byte) (stdout, stderr string, code int) {
	if h.home == "" {
		dir, err := os.MkdirTemp("", "berth-sim-home-")
		if err != nil {
			return "", err.Error(), 1
		}
		h.home = dir
	}
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Env = append(os.Environ(), "HOME="+h.home)
	c.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		return out.String(), err.Error(), 1
	}
	return out.String(), errb.String(), 0
}

// lockHeld reports whether the host holds a deploy lock directory.
func (h *Host) lockHeld() bool {
	if h.home == "" {
		return false
	}
	entries, _ := os.ReadDir(h.home + "/.berth/locks")
	for _, e := range entries {
		if e.IsDir() && !strings.HasSuffix(e.Name(), ".guard") {
			return true
		}
	}
	return false
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}

// Execs is the fleet's total of exec commands.
func (f *Fleet) Execs() int64 {
	var n int64
	for _, h := range f.Hosts {
		n += h.Execs()
	}
	return n
}

// NotSimulated returns the Docker requests and exec commands some host
// could not answer (at most a few).
func (f *Fleet) NotSimulated() []string {
	var out []string
	for _, h := range f.Hosts {
		h.mu.Lock()
		cmds := append([]string(nil), h.unknown...)
		h.mu.Unlock()
		for _, r := range append(h.Docker.NotSimulated(), cmds...) {
			if len(out) < 5 {
				out = append(out, h.Name+": "+r)
			}
		}
	}
	return out
}

// Sockets is the fleet's total of forwarded Docker socket connections.
func (f *Fleet) Sockets() int64 {
	var n int64
	for _, h := range f.Hosts {
		n += h.Sockets()
	}
	return n
}
