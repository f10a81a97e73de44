// Package sshxtest runs an in-process SSH server for tests of code that
// uses sshx: it answers exec requests with a handler of the test's choosing
// and forwards direct-tcpip and direct-streamlocal@openssh.com channels,
// mapping socket paths (e.g. /var/run/docker.sock) to the test's own.
//
// It is for tests only: the server accepts exactly one client key, which it
// generates together with a known_hosts file holding its own host key, so
// the client side verifies host keys exactly as in production.
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

// ExecFunc runs one command and returns its exit status.
type ExecFunc func(cmd string, stdin io.Reader, stdout, stderr io.Writer) int

// Server is a running test SSH server.
type Server struct {
	Addr       string // 127.0.0.1:port
	Identity   string // path of the client's private key
	KnownHosts string // path of a known_hosts file with the server's key

	ln      net.Listener
	hostKey ssh.Signer
	client  ssh.PublicKey
	mu      sync.Mutex
	exec    ExecFunc
	sockets map[string]string // requested path -> real path
	conns   atomic.Int64
}

// Start runs a server until the test ends. exec may be nil (every command
// then fails with status 127).
func Start(t testing.TB, exec ExecFunc) *Server {
	t.Helper()
	dir := t.TempDir()
	hostKey := newSigner(t)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	id := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(id, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	clientPub, _ := ssh.NewPublicKey(priv.Public())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s := &Server{Addr: ln.Addr().String(), Identity: id, KnownHosts: filepath.Join(dir, "known_hosts"),
		ln: ln, hostKey: hostKey, client: clientPub, exec: exec, sockets: map[string]string{}}
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, hostKey.PublicKey())
	if err := os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	go s.serve()
	return s
}

func newSigner(t testing.TB) ssh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func (s *Server) serve() {
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(s.client.Marshal()) {
			return nil, nil
		}
		return nil, fmt.Errorf("unknown key")
	}}
	cfg.AddHostKey(s.hostKey)
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(nc, cfg)
	}
}

func (s *Server) handle(nc net.Conn, cfg *ssh.ServerConfig) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
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
		case "direct-tcpip":
			var m struct {
				Host     string
				Port     uint32
				OrigHost string
				OrigPort uint32
			}
			if ssh.Unmarshal(nch.ExtraData(), &m) != nil {
				_ = nch.Reject(ssh.ConnectionFailed, "bad payload")
				continue
			}
			go Forward(nch, "tcp", net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
		case "direct-streamlocal@openssh.com":
			var m struct {
				Path      string
				Reserved0 string
				Reserved1 uint32
			}
			if ssh.Unmarshal(nch.ExtraData(), &m) != nil {
				_ = nch.Reject(ssh.ConnectionFailed, "bad payload")
				continue
			}
			s.mu.Lock()
			path, ok := s.sockets[m.Path]
			s.mu.Unlock()
			if !ok {
				path = m.Path
			}
			go Forward(nch, "unix", path)
		default:
			_ = nch.Reject(ssh.UnknownChannelType, "not supported")
		}
	}
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
	go ssh.DiscardRequests(reqs)
	status := 127
	if s.exec != nil {
		status = s.exec(cmd, ch, ch, ch.Stderr())
	}
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
}

// Forward accepts a forwarding channel and pipes it to network/addr both
// ways until either side closes; it rejects the channel when addr cannot be
// dialled.
func Forward(nch ssh.NewChannel, network, addr string) {
	target, err := net.Dial(network, addr)
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
	go func() {
		_, _ = io.Copy(ch, target)
		_ = ch.CloseWrite()
		_ = ch.Close()
	}()
	_, _ = io.Copy(target, ch)
	if tc, ok := target.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
}
