// Package sshxtest runs an in-process SSH server for tests of code that
// speaks SSH: it answers exec requests with a handler of the test's choosing
// (with the signals the client sends) and forwards direct-tcpip and
// direct-streamlocal@openssh.com channels, mapping socket paths (e.g.
// /var/run/docker.sock) to the test's own or handing them to a dialler of
// the test's. It is the SSH server of sshx's and live's tests; the
// simulated fleet (test/sim), which serves thousands of hosts on one port,
// builds on its keys and channel handling (NewSigner, ForwardTarget, Pipe).
//
// It is for tests only. It generates a client key, authorized, and a
// known_hosts file holding its own host keys, so the client side verifies
// host keys exactly as in production.
package sshxtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Session is one exec request.
type Session struct {
	Cmd    string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Signals has the signals the client sends ("TERM", "INT", ...); it is
	// closed when the client closes the channel.
	Signals <-chan string
}

// ExecFunc runs one command and returns its exit status; a negative one
// sends none (the command was killed).
type ExecFunc func(s *Session) int

// Options configure a server.
type Options struct {
	HostKeys []ssh.Signer // nil: one new ed25519 key
	Exec     ExecFunc     // nil: every command exits 127
	// Dial opens the far end of a forwarded channel; nil: net.Dial, socket
	// paths mapped by MapSocket first.
	Dial func(network, addr string) (net.Conn, error)
	// OnAuth is called with the user of every connection that
	// authenticates; nil: nothing.
	OnAuth func(user string)
	// Config adjusts the server's SSH configuration (key exchanges, say).
	Config func(*ssh.ServerConfig)
}

// Server is a running test SSH server.
type Server struct {
	Addr       string // 127.0.0.1:port; "" for a server without a listener (Serve)
	Identity   string // path of the authorized client's private key
	KnownHosts string // path of a known_hosts file with the server's keys at Addr

	opts     Options
	hostKeys []ssh.Signer
	ln       net.Listener
	mu       sync.Mutex
	authKeys []ssh.PublicKey
	sockets  map[string]string // requested path -> real path
	conns    atomic.Int64
}

// Start runs a server on its own 127.0.0.1 port until the test ends, with
// exec as its command handler (nil: every command exits 127).
func Start(t testing.TB, exec ExecFunc) *Server {
	t.Helper()
	return StartWith(t, Options{Exec: exec})
}

// StartWith runs a server on its own 127.0.0.1 port until the test ends.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s.ln, s.Addr = ln, ln.Addr().String()
	if err := s.writeKnownHosts(); err != nil {
		t.Fatal(err)
	}
	go s.acceptLoop()
	return s
}

// New makes a server without a listener: the caller hands it connections
// (Serve). The client key and files are written into dir.
func New(dir string, opts Options) (*Server, error) {
	keys := opts.HostKeys
	if len(keys) == 0 {
		k, err := NewSigner()
		if err != nil {
			return nil, err
		}
		keys = []ssh.Signer{k}
	}
	id, pub, err := WriteKey(dir, "id_ed25519", "")
	if err != nil {
		return nil, err
	}
	return &Server{Identity: id, KnownHosts: filepath.Join(dir, "known_hosts"), opts: opts, hostKeys: keys,
		authKeys: []ssh.PublicKey{pub}, sockets: map[string]string{}}, nil
}

// HostKeys are the server's host keys.
func (s *Server) HostKeys() []ssh.Signer { return s.hostKeys }

func (s *Server) writeKnownHosts() error {
	var b []byte
	for _, k := range s.hostKeys {
		b = append(b, knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, k.PublicKey())+"\n"...)
	}
	return os.WriteFile(s.KnownHosts, b, 0o600)
}

// NewSigner makes an ed25519 host key.
func NewSigner() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

// WriteKey writes a new OpenSSH ed25519 private key file dir/name
// (encrypted when passphrase is not "") and returns its path and public key.
func WriteKey(dir, name, passphrase string) (string, ssh.PublicKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", nil, err
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	return path, pub, err
}

// Authorize lets a client key in besides the server's own Identity.
func (s *Server) Authorize(k ssh.PublicKey) {
	s.mu.Lock()
	s.authKeys = append(s.authKeys, k)
	s.mu.Unlock()
}

// AuthorizedKeys are the keys let in, Identity's first.
func (s *Server) AuthorizedKeys() []ssh.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ssh.PublicKey(nil), s.authKeys...)
}

// MapSocket makes a forward to path (as a client asks for it) reach real.
func (s *Server) MapSocket(path, real string) {
	s.mu.Lock()
	s.sockets[path] = real
	s.mu.Unlock()
}

// Port is the server's TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Connections counts the SSH connections accepted so far.
func (s *Server) Connections() int { return int(s.conns.Load()) }

func (s *Server) acceptLoop() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.Serve(nc)
	}
}

func (s *Server) config() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(meta ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		for _, a := range s.AuthorizedKeys() {
			if string(a.Marshal()) == string(k.Marshal()) {
				if s.opts.OnAuth != nil {
					s.opts.OnAuth(meta.User())
				}
				return nil, nil
			}
		}
		return nil, fmt.Errorf("unknown key")
	}}
	for _, k := range s.hostKeys {
		cfg.AddHostKey(k)
	}
	if s.opts.Config != nil {
		s.opts.Config(cfg)
	}
	return cfg
}

// Serve runs the SSH protocol on one connection until it ends.
func (s *Server) Serve(nc net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config())
	if err != nil {
		_ = nc.Close()
		return
	}
	s.conns.Add(1)
	defer sc.Close()
	go func() {
		for r := range reqs {
			if r.WantReply {
				_ = r.Reply(r.Type == "keepalive@openssh.com", nil)
			}
		}
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			go s.session(nch)
		case "direct-tcpip", "direct-streamlocal@openssh.com":
			network, addr, err := ForwardTarget(nch)
			if err != nil {
				_ = nch.Reject(ssh.ConnectionFailed, err.Error())
				continue
			}
			go s.forward(nch, network, addr)
		default:
			_ = nch.Reject(ssh.UnknownChannelType, "not supported")
		}
	}
}

func (s *Server) forward(nch ssh.NewChannel, network, addr string) {
	if s.opts.Dial != nil {
		target, err := s.opts.Dial(network, addr)
		Pipe(nch, target, err)
		return
	}
	if network == "unix" {
		s.mu.Lock()
		if real, ok := s.sockets[addr]; ok {
			addr = real
		}
		s.mu.Unlock()
	}
	target, err := net.Dial(network, addr)
	Pipe(nch, target, err)
}

func (s *Server) session(nch ssh.NewChannel) {
	ch, reqs, err := nch.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	var cmd string
	for r := range reqs {
		if r.Type == "exec" {
			var m struct{ Cmd string }
			_ = ssh.Unmarshal(r.Payload, &m)
			cmd = m.Cmd
			_ = r.Reply(true, nil)
			break
		}
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
	signals := make(chan string, 16)
	go func() {
		defer close(signals)
		for r := range reqs {
			if r.Type == "signal" {
				var m struct{ Signal string }
				_ = ssh.Unmarshal(r.Payload, &m)
				select {
				case signals <- m.Signal:
				default:
				}
			}
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
		}
	}()
	status := 127
	if s.opts.Exec != nil {
		status = s.opts.Exec(&Session{Cmd: cmd, Stdin: ch, Stdout: ch, Stderr: ch.Stderr(), Signals: signals})
	}
	if status >= 0 {
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
	}
}

// ForwardTarget is where a forwarding channel asks to go: ("tcp",
// "host:port") for direct-tcpip, ("unix", path) for
// direct-streamlocal@openssh.com.
func ForwardTarget(nch ssh.NewChannel) (network, addr string, err error) {
	switch nch.ChannelType() {
	case "direct-tcpip":
		var m struct {
			Host     string
			Port     uint32
			OrigHost string
			OrigPort uint32
		}
		if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
			return "", "", fmt.Errorf("bad direct-tcpip payload: %w", err)
		}
		return "tcp", net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))), nil
	case "direct-streamlocal@openssh.com":
		var m struct {
			Path      string
			Reserved0 string
			Reserved1 uint32
		}
		if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
			return "", "", fmt.Errorf("bad direct-streamlocal payload: %w", err)
		}
		return "unix", m.Path, nil
	}
	return "", "", fmt.Errorf("%s is not a forwarding channel", nch.ChannelType())
}

// Pipe accepts a forwarding channel and pipes it to target both ways until
// either side closes; it rejects the channel when dialling target failed
// (err).
func Pipe(nch ssh.NewChannel, target net.Conn, err error) {
	if err != nil {
		_ = nch.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nch.Accept()
	if err != nil {
		_ = target.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(target, ch); closeWrite(target) })
	wg.Go(func() { _, _ = io.Copy(ch, target); _ = ch.CloseWrite(); _ = ch.Close() })
	wg.Wait()
	_ = ch.Close()
	_ = target.Close()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	} else {
		_ = c.Close()
	}
}
