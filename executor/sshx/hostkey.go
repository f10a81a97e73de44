package sshx

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key policies (lang.SSH.HostKeyPolicy).
const (
	PolicyStrict    = "strict"
	PolicyAcceptNew = "accept-new"
)

// hostKeys verifies host keys against one known_hosts file. The file is
// parsed again whenever it changed (size, modification time or inode), so
// that keys recorded by a concurrent dial (or by another process) are seen;
// an unchanged file is parsed once, not once per dial (which made dialling
// N hosts with an N-line file quadratic).
type hostKeys struct {
	path      string
	acceptNew bool
	mu        sync.Mutex // serialises accept-new appends within the process; guards the cache

	cached ssh.HostKeyCallback // the parsed file, nil until first read
	stamp  fileStamp           // what the file looked like when parsed
}

// fileStamp tells whether a file changed since it was read.
type fileStamp struct {
	size  int64
	mtime int64
	ino   uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	s := fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = st.Ino
	}
	return s
}

// callback checks the key of the host called name (for messages) dialled at
// hostport ("10.77.0.12:22").
func (h *hostKeys) callback(name string) ssh.HostKeyCallback {
	return func(hostport string, remote net.Addr, key ssh.PublicKey) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		err := h.check(hostport, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ke) && len(ke.Want) > 0:
			return fmt.Errorf("host %s (%s): %w: it presented a %s key %s that differs from the one in %s:%d; "+
				"someone may be intercepting the connection (man in the middle), or the host was reinstalled: "+
				"check with its administrator before removing the old line",
				name, hostport, ErrHostKeyMismatch, key.Type(), ssh.FingerprintSHA256(key), ke.Want[0].Filename, ke.Want[0].Line)
		case errors.As(err, &ke) || errors.Is(err, os.ErrNotExist):
			if h.acceptNew {
				if err := h.appendKey(hostport, key); err != nil {
					return fmt.Errorf("host %s (%s): recording its host key in %s: %w", name, hostport, h.path, err)
				}
				return nil
			}
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("host %s (%s): %w: the known_hosts file %s does not exist; create it with `ssh-keyscan -p %s %s >> %s` (after checking the fingerprint %s) "+
					"or set known_hosts_policy = \"accept-new\"",
					name, hostport, ErrUnknownHostKey, h.path, portOf(hostport), hostOf(hostport), h.path, ssh.FingerprintSHA256(key))
			}
			return fmt.Errorf("host %s (%s): %w %s; add it with `ssh-keyscan -p %s %s >> %s` (after checking the fingerprint %s) "+
				"or set known_hosts_policy = \"accept-new\"",
				name, hostport, ErrUnknownHostKey, h.path, portOf(hostport), hostOf(hostport), h.path, ssh.FingerprintSHA256(key))
		default:
			return fmt.Errorf("host %s (%s): checking host key: %w", name, hostport, err)
		}
	}
}

// check verifies key against the file; the caller holds h.mu.
func (h *hostKeys) check(hostport string, remote net.Addr, key ssh.PublicKey) error {
	cb, err := h.load()
	if err != nil {
		return err
	}
	return cb(hostport, remote, key)
}

// load returns the parsed file, parsing it again only when it changed.
// The caller holds h.mu.
func (h *hostKeys) load() (ssh.HostKeyCallback, error) {
	fi, err := os.Stat(h.path)
	if err != nil {
		h.cached = nil
		return nil, err
	}
	if st := stampOf(fi); h.cached != nil && st == h.stamp {
		return h.cached, nil
	}
	cb, err := knownhosts.New(h.path)
	if err != nil {
		h.cached = nil
		return nil, err
	}
	h.cached, h.stamp = cb, stampOf(fi)
	return cb, nil
}

// algorithms returns the host key algorithms known_hosts holds for hostport,
// in the order to advertise them, or nil when the host is not known (then
// the library's defaults apply). Advertising only what is recorded avoids a
// false mismatch when the server's preferred key type is another one.
func (h *hostKeys) algorithms(hostport string) []string {
	probe := ssh.PublicKey(probeKey())
	remote := &net.TCPAddr{IP: net.IPv4zero, Port: atoiOr(portOf(hostport), 22)}
	h.mu.Lock()
	err := h.check(hostport, remote, probe)
	h.mu.Unlock()
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, s := range a {
			if !seen[s] {
				seen[s] = true
				algos = append(algos, s)
			}
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}

// appendKey records key for hostport, under an exclusive lock of the file.
func (h *hostKeys) appendKey(hostport string, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(h.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }()
	// Another process may have recorded it while we waited for the lock.
	remote := &net.TCPAddr{IP: net.IPv4zero, Port: atoiOr(portOf(hostport), 22)}
	err = h.check(hostport, remote, key)
	var ke *knownhosts.KeyError
	if err == nil {
		return nil
	}
	if errors.As(err, &ke) && len(ke.Want) > 0 {
		return fmt.Errorf("%w: a different key was recorded meanwhile", ErrHostKeyMismatch)
	}
	// A file not ending in a newline would glue our line to its last one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte("\n")); err != nil {
				return err
			}
		}
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostport)}, key) + "\n"
	_, err = f.Write([]byte(line))
	return err
}

// probeKey is a fixed key that no host has: checking it against known_hosts
// lists the keys recorded for a host.
func probeKey() ssh.PublicKey {
	k, _ := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	return k
}

func hostOf(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}

func portOf(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return "22"
	}
	return p
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}
