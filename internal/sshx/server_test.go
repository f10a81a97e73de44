package sshx

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/berth-sh/berth/test/sshxtest"
)

// testServer is sshxtest's server with a tiny command language, and what
// the tests watch: the signals sessions receive, the commands whose
// session ended, the users that authenticated, the sessions open at once.
type testServer struct {
	*sshxtest.Server
	addr     string
	hostKeys []ssh.Signer
	signals  chan string // signals received by sessions
	ended    chan string // commands whose session ended
	users    chan string // the user of every authenticated connection
	active   atomic.Int64
	peak     atomic.Int64 // most sessions open at once
}

func newEd25519Signer(t *testing.T) ssh.Signer {
	t.Helper()
	s, err := sshxtest.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeKey writes an OpenSSH private key file (encrypted when passphrase != "").
func writeKey(t *testing.T, dir string, passphrase string) (path string, pub ssh.PublicKey) {
	t.Helper()
	path, pub, err := sshxtest.WriteKey(dir, fmt.Sprintf("id_%d", time.Now().UnixNano()), passphrase)
	if err != nil {
		t.Fatal(err)
	}
	return path, pub
}

func startServer(t *testing.T, hostKeys ...ssh.Signer) *testServer {
	t.Helper()
	s := &testServer{signals: make(chan string, 1000), ended: make(chan string, 1000), users: make(chan string, 1000)}
	s.Server = sshxtest.StartWith(t, sshxtest.Options{HostKeys: hostKeys, Exec: s.exec, OnAuth: func(user string) {
		select {
		case s.users <- user:
		default:
		}
	}})
	s.addr, s.hostKeys = s.Addr, s.HostKeys()
	return s
}

func (s *testServer) authorize(k ssh.PublicKey) { s.Authorize(k) }

func (s *testServer) port() int { return s.Port() }

// exec runs one command. Commands: "echo WORDS", "hostname", "cat" (stdin
// to stdout), "fail N MSG" (MSG on stderr, exit N), "sleep SECONDS" (until
// the time passes, a signal, or the channel closes).
func (s *testServer) exec(sess *sshxtest.Session) (status int) {
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	defer func() {
		select {
		case s.ended <- sess.Cmd:
		default:
		}
	}()
	signal := make(chan struct{}) // closed at the first signal, or when the channel closes
	go func() {
		var once sync.Once
		for sig := range sess.Signals {
			select {
			case s.signals <- sig:
			default:
			}
			once.Do(func() { close(signal) })
		}
		once.Do(func() { close(signal) })
	}()
	f := strings.Fields(sess.Cmd)
	switch {
	case len(f) == 0:
		return 127
	case f[0] == "echo":
		fmt.Fprintln(sess.Stdout, strings.Join(f[1:], " "))
	case f[0] == "hostname":
		fmt.Fprintln(sess.Stdout, "testhost")
	case f[0] == "cat":
		_, _ = io.Copy(sess.Stdout, sess.Stdin)
	case f[0] == "fail":
		status, _ = strconv.Atoi(f[1])
		fmt.Fprint(sess.Stderr, strings.Join(f[2:], " "))
	case f[0] == "sleep":
		secs, _ := strconv.ParseFloat(f[1], 64)
		select {
		case <-time.After(time.Duration(secs * float64(time.Second))):
		case <-signal:
			return -1 // ended without an exit status, as a killed command does
		}
	default:
		fmt.Fprint(sess.Stderr, "unknown command")
		return 127
	}
	return status
}

// freezer is a TCP proxy that can stop passing bytes, like a cable pulled out.
type freezer struct {
	ln     net.Listener
	frozen atomic.Bool
	sent   atomic.Int64 // bytes from the client to the server
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
			go f.pipe(c, u, nil)
			go f.pipe(u, c, &f.sent)
		}
	}()
	return f
}

func (f *freezer) pipe(dst, src net.Conn, count *atomic.Int64) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && count != nil {
			count.Add(int64(n))
		}
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
