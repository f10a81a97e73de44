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
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The known_hosts file format: lines of host patterns (plain, [host]:port,
// hashed |1|salt|hash, wildcards and negations) and keys, with the
// @cert-authority and @revoked markers, parsed into an index by host:port.

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
