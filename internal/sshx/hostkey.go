package sshx

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key policies (Config.HostKeyPolicy).
const (
	PolicyStrict    = "strict"
	PolicyAcceptNew = "accept-new"
)

// hostKeys verifies host keys against one known_hosts file, with the
// semantics of golang.org/x/crypto/ssh/knownhosts (hashed hosts, [host]:port,
// wildcards and negations, @revoked and @cert-authority markers).
//
// The file is parsed into an index (host:port → its lines) once, and again
// only when it changed (size, modification time or inode), so that keys
// recorded by a concurrent dial or another process are seen. A dial looks
// its host up once, without a lock: the index is read-only once built.
// Plain host names cost a map lookup; hashed (|1|...) and wildcard lines
// are matched one by one, as OpenSSH does.
type hostKeys struct {
	path      string
	acceptNew bool

	db       atomic.Pointer[keyDB]
	loadMu   sync.Mutex // one parse at a time
	appendMu sync.Mutex // serialises accept-new appends within the process
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

// known is what known_hosts says about one address: its lines, in file order.
type known struct {
	db    *keyDB
	addr  addr
	lines []*keyLine
	err   error // the file could not be read (os.ErrNotExist: it does not exist)
}

// lookup returns the lines of known_hosts that match hostport.
func (h *hostKeys) lookup(hostport string) known {
	db, err := h.load()
	k := known{db: db, addr: addrOf(hostport), err: err}
	if err != nil {
		return k
	}
	idx := slices.Concat(db.exact[k.addr], nil)
	for _, i := range db.general {
		if db.lines[i].match(k.addr) {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	for _, i := range idx {
		k.lines = append(k.lines, &db.lines[i])
	}
	return k
}

// load returns the parsed file, parsing it again only when it changed.
func (h *hostKeys) load() (*keyDB, error) {
	fi, err := os.Stat(h.path)
	if err != nil {
		return nil, err
	}
	if db := h.db.Load(); db != nil && db.stamp == stampOf(fi) {
		return db, nil
	}
	h.loadMu.Lock()
	defer h.loadMu.Unlock()
	f, err := os.Open(h.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if db := h.db.Load(); db != nil && db.stamp == stampOf(fi) {
		return db, nil // parsed meanwhile
	}
	db, err := parseKnownHosts(f, h.path)
	if err != nil {
		return nil, err
	}
	db.stamp = stampOf(fi)
	h.db.Store(db)
	return db, nil
}

// check verifies key as knownhosts' callback does: a revoked key is
// refused; a host certificate must be signed by a @cert-authority of the
// host; a plain key must be one of the host's lines, else the error is a
// *knownhosts.KeyError listing them (none: the host is unknown).
func (k known) check(hostport string, key ssh.PublicKey) error {
	if k.err != nil {
		return k.err
	}
	cc := ssh.CertChecker{
		IsHostAuthority: func(ca ssh.PublicKey, _ string) bool {
			return slices.ContainsFunc(k.lines, func(l *keyLine) bool {
				return l.cert && bytes.Equal(l.known.Key.Marshal(), ca.Marshal())
			})
		},
		IsRevoked: func(c *ssh.Certificate) bool {
			_, a := k.db.revoked[plainKeyBlob(c)]
			_, b := k.db.revoked[plainKeyBlob(c.SignatureKey)]
			return a || b
		},
		HostKeyFallback: func(string, net.Addr, ssh.PublicKey) error {
			if r, ok := k.db.revoked[plainKeyBlob(key)]; ok {
				return &knownhosts.RevokedError{Revoked: r}
			}
			ke := &knownhosts.KeyError{}
			for _, l := range k.lines {
				ke.Want = append(ke.Want, l.known)
				if bytes.Equal(l.known.Key.Marshal(), key.Marshal()) {
					return nil
				}
			}
			return ke
		},
	}
	remote := &net.TCPAddr{IP: net.IPv4zero, Port: atoiOr(k.addr.port, 22)}
	return cc.CheckHostKey(hostport, remote, key)
}

// algorithms returns the host key algorithms to advertise for a host, in
// the order of its lines, or nil when the host is not known (then the
// library's defaults apply). Advertising only what is recorded avoids a
// false mismatch when the server's preferred key type is another one.
func (k known) algorithms() []string {
	var algos []string
	add := func(a ...string) {
		for _, s := range a {
			if !slices.Contains(algos, s) {
				algos = append(algos, s)
			}
		}
	}
	for _, l := range k.lines {
		t := l.known.Key.Type()
		switch {
		case l.cert:
			add(certAlgos[t]...)
		case t == ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}

// certAlgos are the certificate algorithms signed by a CA key of each type.
var certAlgos = map[string][]string{
	ssh.KeyAlgoED25519:  {ssh.CertAlgoED25519v01},
	ssh.KeyAlgoRSA:      {ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01},
	ssh.KeyAlgoECDSA256: {ssh.CertAlgoECDSA256v01},
	ssh.KeyAlgoECDSA384: {ssh.CertAlgoECDSA384v01},
	ssh.KeyAlgoECDSA521: {ssh.CertAlgoECDSA521v01},
}

// callback checks the key of the host called name (for messages) dialled
// at hostport ("10.77.0.12:22") against what lookup found for it.
func (h *hostKeys) callback(name string, k known) ssh.HostKeyCallback {
	return func(hostport string, _ net.Addr, key ssh.PublicKey) error {
		err := k.check(hostport, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &re):
			return fmt.Errorf("host %s (%s): %w: it presented a %s key %s that %s:%d marks @revoked",
				name, hostport, ErrHostKeyMismatch, key.Type(), ssh.FingerprintSHA256(key), re.Revoked.Filename, re.Revoked.Line)
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

// appendKey records key for hostport, under an exclusive lock of the file.
func (h *hostKeys) appendKey(hostport string, key ssh.PublicKey) error {
	h.appendMu.Lock()
	defer h.appendMu.Unlock()
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
	// Another dial or process may have recorded it while we waited for the lock.
	err = h.lookup(hostport).check(hostport, key)
	var ke *knownhosts.KeyError
	if err == nil {
		return nil
	}
	if errors.As(err, &ke) && len(ke.Want) > 0 {
		return fmt.Errorf("%w: a different key was recorded meanwhile", ErrHostKeyMismatch)
	}
	var re *knownhosts.RevokedError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: the key is marked @revoked in %s:%d", ErrHostKeyMismatch, re.Revoked.Filename, re.Revoked.Line)
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
