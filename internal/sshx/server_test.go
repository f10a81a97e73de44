package sshx

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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-sh/berth/internal/sshx/sshxtest"
)

// testServer is an in-process SSH server: exec requests run a tiny command
// language, and direct-tcpip / direct-streamlocal channels are forwarded.
type testServer struct {
	t        *testing.T
	ln       net.Listener
	addr     string
	hostKeys []ssh.Signer
	conns    atomic.Int64 // handshakes completed
	sessions sync.WaitGroup
	signals  chan string // signals received by sessions
	ended    chan string // commands whose session ended
	mu       sync.Mutex
	authKeys []ssh.PublicKey
	noReply  atomic.Bool  // ignore global requests (keepalives)
	users    chan string  // the user of every authenticated connection
	active   atomic.Int64 // sessions open now
	peak     atomic.Int64 // most sessions open at once
}

func newEd25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
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

// writeKey writes an OpenSSH private key file (encrypted when passphrase != "").
func writeKey(t *testing.T, dir string, passphrase string) (path string, pub ssh.PublicKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, fmt.Sprintf("id_%d", time.Now().UnixNano()))
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, _ = ssh.NewPublicKey(priv.Public())
	return path, pub
}

func startServer(t *testing.T, hostKeys ...ssh.Signer) *testServer {
	t.Helper()
	if len(hostKeys) == 0 {
		hostKeys = []ssh.Signer{newEd25519Signer(t)}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, ln: ln, addr: ln.Addr().String(), hostKeys: hostKeys,
		signals: make(chan string, 1000), ended: make(chan string, 1000), users: make(chan string, 1000)}
	t.Cleanup(func() { _ = ln.Close() })
	go s.serve()
	return s
}

func (s *testServer) authorize(k ssh.PublicKey) {
	s.mu.Lock()
	s.authKeys = append(s.authKeys, k)
	s.mu.Unlock()
}

func (s *testServer) port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (s *testServer) config() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, k := range s.authKeys {
				if string(k.Marshal()) == string(key.Marshal()) {
					select {
					case s.users <- meta.User():
					default:
					}
					return nil, nil
				}
			}
			return nil, fmt.Errorf("unknown key")
		},
	}
	for _, k := range s.hostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

func (s *testServer) serve() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(nc)
	}
}

func (s *testServer) handle(nc net.Conn) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config())
	if err != nil {
		_ = nc.Close()
		return
	}
	s.conns.Add(1)
	defer sc.Close()
	go func() {
		for r := range reqs {
			if s.noReply.Load() {
				continue
			}
			if r.WantReply {
				_ = r.Reply(r.Type == "keepalive@openssh.com", nil)
			}
		}
	}()
	for nch := range chans {
		switch nch.ChannelType() {
		case "session":
			ch, reqs, err := nch.Accept()
			if err != nil {
				continue
			}
			go s.session(ch, reqs)
		case "direct-tcpip":
			var m struct {
				Host     string
				Port     uint32
				OrigHost string
				OrigPort uint32
			}
			if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
				_ = nch.Reject(ssh.ConnectionFailed, "bad payload")
				continue
			}
			go sshxtest.Forward(nch, "tcp", net.JoinHostPort(m.Host, strconv.Itoa(int(m.Port))))
		case "direct-streamlocal@openssh.com":
			var m struct {
				Path      string
				Reserved0 string
				Reserved1 uint32
			}
			if err := ssh.Unmarshal(nch.ExtraData(), &m); err != nil {
				_ = nch.Reject(ssh.ConnectionFailed, "bad payload")
				continue
			}
			go sshxtest.Forward(nch, "unix", m.Path)
		default:
			_ = nch.Reject(ssh.UnknownChannelType, "no")
		}
	}
}

// session runs one exec request. Commands: "echo WORDS", "hostname",
// "cat" (stdin to stdout), "fail N MSG" (MSG on stderr, exit N),
// "sleep SECONDS" (until the time passes, a signal, or the channel closes).
func (s *testServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	s.sessions.Add(1)
	defer s.sessions.Done()
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	defer ch.Close()
	signal := make(chan string, 1)
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
	defer func() {
		select {
		case s.ended <- cmd:
		default:
		}
	}()
	go func() {
		for r := range reqs {
			if r.Type == "signal" {
				var m struct{ Signal string }
				_ = ssh.Unmarshal(r.Payload, &m)
				select {
				case s.signals <- m.Signal:
				default:
				}
				select {
				case signal <- m.Signal:
				default:
				}
			}
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
		}
		select {
		case signal <- "closed":
		default:
		}
	}()
	status := 0
	f := strings.Fields(cmd)
	switch {
	case len(f) == 0:
		status = 127
	case f[0] == "echo":
		fmt.Fprintln(ch, strings.Join(f[1:], " "))
	case f[0] == "hostname":
		fmt.Fprintln(ch, "testhost")
	case f[0] == "cat":
		_, _ = io.Copy(ch, ch)
	case f[0] == "fail":
		status, _ = strconv.Atoi(f[1])
		fmt.Fprint(ch.Stderr(), strings.Join(f[2:], " "))
	case f[0] == "sleep":
		secs, _ := strconv.ParseFloat(f[1], 64)
		select {
		case <-time.After(time.Duration(secs * float64(time.Second))):
		case <-signal:
			return
		}
	default:
		fmt.Fprint(ch.Stderr(), "unknown command")
		status = 127
	}
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(status)}))
}

// freezer is a TCP proxy that can stop passing bytes, like a cable pulled out.
type freezer struct {
	ln     net.Listener
	frozen atomic.Bool
}

func startFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			t.Cleanup(func() { _ = c.Close(); _ = u.Close() })
			go f.pipe(c, u)
			go f.pipe(u, c)
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !f.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
