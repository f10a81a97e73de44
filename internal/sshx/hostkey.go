package sshx

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// addr is a host and a port, as known_hosts patterns name them.
type addr struct{ host, port string }

func addrOf(hostport string) addr {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return addr{host: hostport, port: "22"}
	}
	return addr{host: h, port: p}
}

// keyDB is a parsed known_hosts file.
type keyDB struct {
	stamp   fileStamp
	lines   []keyLine
	exact   map[addr][]int // lines naming the address literally, in file order
	general []int          // hashed, wildcard and negated lines, in file order
	revoked map[string]knownhosts.KnownKey
}

// keyLine is one host key line.
type keyLine struct {
	cert     bool // @cert-authority
	known    knownhosts.KnownKey
	patterns []hostPattern // nil for a hashed line
	salt     []byte        // a hashed line's salt and hash
	hash     []byte
}

type hostPattern struct {
	negate bool
	addr   addr
}

func (l *keyLine) match(a addr) bool {
	if l.patterns == nil {
		mac := hmac.New(sha1.New, l.salt)
		mac.Write([]byte(knownhosts.Normalize(net.JoinHostPort(a.host, a.port))))
		return hmac.Equal(mac.Sum(nil), l.hash)
	}
	matched := false
	for _, p := range l.patterns {
		if p.addr.port != a.port || !wildcardMatch(p.addr.host, a.host) {
			continue
		}
		if p.negate {
			return false
		}
		matched = true
	}
	return matched
}

// wildcardMatch matches OpenSSH's * and ? (with no regard for separators).
func wildcardMatch(pat, s string) bool {
	for len(pat) > 0 {
		if pat[0] == '*' {
			if len(pat) == 1 {
				return true
			}
			for j := range len(s) {
				if wildcardMatch(pat[1:], s[j:]) {
					return true
				}
			}
			return false
		}
		if len(s) == 0 || (pat[0] != '?' && pat[0] != s[0]) {
			return false
		}
		pat, s = pat[1:], s[1:]
	}
	return len(s) == 0
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

// parseKnownHosts parses a known_hosts file. Like knownhosts.New, it skips
// lines it cannot parse, unless no line is valid.
func parseKnownHosts(f *os.File, name string) (*keyDB, error) {
	db := &keyDB{exact: map[addr][]int{}, revoked: map[string]knownhosts.KnownKey{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var firstErr error
	firstErrLine, valid, n := 0, 0, 0
	for sc.Scan() {
		n++
		line := bytes.Trim(sc.Bytes(), " \t")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := db.add(line, name, n); err != nil {
			if firstErr == nil {
				firstErr, firstErrLine = err, n
			}
			continue
		}
		valid++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if valid == 0 && firstErr != nil {
		return nil, fmt.Errorf("knownhosts: %s: no valid entries, line %d: %v", name, firstErrLine, firstErr)
	}
	return db, nil
}

// add parses one line and indexes it.
func (db *keyDB) add(line []byte, name string, n int) error {
	marker, pattern, key, err := parseLine(line)
	if err != nil {
		return err
	}
	kk := knownhosts.KnownKey{Key: key, Filename: name, Line: n}
	if marker == "@revoked" {
		db.revoked[plainKeyBlob(key)] = kk
		return nil
	}
	l := keyLine{cert: marker == "@cert-authority", known: kk}
	literal := false
	if pattern[0] == '|' {
		if l.salt, l.hash, err = decodeHash(pattern); err != nil {
			return err
		}
	} else {
		if l.patterns, err = parsePatterns(pattern); err != nil {
			return err
		}
		literal = !slices.ContainsFunc(l.patterns, func(p hostPattern) bool {
			return p.negate || strings.ContainsAny(p.addr.host, "*?")
		})
	}
	i := len(db.lines)
	db.lines = append(db.lines, l)
	if !literal {
		db.general = append(db.general, i)
		return nil
	}
	for _, p := range l.patterns {
		if s := db.exact[p.addr]; len(s) == 0 || s[len(s)-1] != i {
			db.exact[p.addr] = append(s, i)
		}
	}
	return nil
}

func nextWord(line []byte) (string, []byte) {
	i := bytes.IndexAny(line, "\t ")
	if i == -1 {
		return string(line), nil
	}
	return string(line[:i]), bytes.Trim(line[i:], " \t")
}

// parseLine splits a known_hosts line as knownhosts does.
func parseLine(line []byte) (marker, host string, key ssh.PublicKey, err error) {
	if w, next := nextWord(line); w == "@cert-authority" || w == "@revoked" {
		marker, line = w, next
	}
	host, line = nextWord(line)
	if len(host) > 0 && host[0] == '@' {
		return "", "", nil, fmt.Errorf("knownhosts: unexpected marker: %q", host)
	}
	if len(line) == 0 {
		return "", "", nil, errors.New("knownhosts: missing host pattern")
	}
	wantType, line := nextWord(line)
	if len(line) == 0 {
		return "", "", nil, errors.New("knownhosts: missing key type pattern")
	}
	blob, _ := nextWord(line)
	b, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return "", "", nil, err
	}
	if key, err = ssh.ParsePublicKey(b); err != nil {
		return "", "", nil, err
	}
	if key.Type() != wantType {
		return "", "", nil, fmt.Errorf("knownhosts: key type mismatch: found %q, want %q", key.Type(), wantType)
	}
	return marker, host, key, nil
}

func parsePatterns(pattern string) ([]hostPattern, error) {
	var ps []hostPattern
	for _, p := range strings.Split(pattern, ",") {
		if p == "" {
			continue
		}
		var hp hostPattern
		if p[0] == '!' {
			hp.negate, p = true, p[1:]
		}
		if p == "" {
			return nil, errors.New("knownhosts: negation without following hostname")
		}
		h, port, err := net.SplitHostPort(p)
		switch {
		case err == nil:
			hp.addr = addr{host: h, port: port}
		case p[0] == '[':
			return nil, err
		default:
			hp.addr = addr{host: p, port: "22"}
		}
		ps = append(ps, hp)
	}
	return ps, nil
}

func decodeHash(encoded string) (salt, hash []byte, err error) {
	c := strings.Split(encoded, "|")
	if len(c) != 4 {
		return nil, nil, fmt.Errorf("knownhosts: got %d components, want 3", len(c))
	}
	if c[1] != "1" {
		return nil, nil, fmt.Errorf("knownhosts: got hash type %s, must be '1'", c[1])
	}
	if salt, err = base64.StdEncoding.DecodeString(c[2]); err != nil {
		return nil, nil, err
	}
	if hash, err = base64.StdEncoding.DecodeString(c[3]); err != nil {
		return nil, nil, err
	}
	return salt, hash, nil
}

// plainKeyBlob is the public key itself, or a certificate's certified key.
func plainKeyBlob(key ssh.PublicKey) string {
	if cert, ok := key.(*ssh.Certificate); ok {
		return string(cert.Key.Marshal())
	}
	return string(key.Marshal())
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
