package sshx

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The index decides every known_hosts case as golang.org/x/crypto's
// knownhosts does: plain names, [host]:port, several names on a line,
// hashed names, wildcards, negations, @revoked, @cert-authority (and host
// certificates signed by it), comments and a line it cannot parse.
func TestHostKeyIndexAgreesWithKnownhosts(t *testing.T) {
	k := make([]ssh.PublicKey, 8)
	for i := range k {
		k[i] = newEd25519Signer(t).PublicKey()
	}
	ca := newEd25519Signer(t)
	certFor := func(host string, key ssh.PublicKey) *ssh.Certificate {
		c := &ssh.Certificate{Key: key, CertType: ssh.HostCert, ValidPrincipals: []string{host},
			ValidAfter: uint64(time.Now().Add(-time.Hour).Unix()), ValidBefore: uint64(time.Now().Add(time.Hour).Unix())}
		if err := c.SignCert(rand.Reader, ca); err != nil {
			t.Fatal(err)
		}
		return c
	}
	ser := func(key ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))) }
	lines := []string{
		"# a comment",
		"plain.example " + ser(k[0]),
		"[ported.example]:2222 " + ser(k[1]),
		"multi-a.example,multi-b.example,[multi-c.example]:2200 " + ser(k[2]),
		knownhosts.HashHostname("hashed.example") + " " + ser(k[3]),
		knownhosts.HashHostname("[hashed.example]:2022") + " " + ser(k[4]),
		"*.wild.example,!no.wild.example " + ser(k[5]),
		"[10.0.0.?]:2222 " + ser(k[6]),
		"plain.example " + ser(k[6]), // a second key for the same host
		"@revoked * " + ser(k[7]),
		"@cert-authority *.certs.example " + ser(ca.PublicKey()),
		"this line is not a host key",
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lib, err := knownhosts.New(path)
	if err != nil {
		t.Fatal(err)
	}
	h := &hostKeys{path: path}
	hosts := []string{"plain.example:22", "plain.example:2222", "ported.example:2222", "ported.example:22",
		"multi-a.example:22", "multi-b.example:22", "multi-c.example:2200", "multi-c.example:22",
		"hashed.example:22", "hashed.example:2022", "other.example:22",
		"a.wild.example:22", "no.wild.example:22", "wild.example:22",
		"10.0.0.7:2222", "10.0.0.77:2222", "h1.certs.example:22", "h2.certs.example:22"}
	keys := append(append([]ssh.PublicKey{}, k...), certFor("h1.certs.example", k[0]), certFor("other", k[0]))
	for _, hp := range hosts {
		for i, key := range keys {
			remote := &net.TCPAddr{IP: net.IPv4zero, Port: atoiOr(portOf(hp), 22)}
			want := outcome(lib(hp, remote, key))
			got := outcome(h.lookup(hp).check(hp, key))
			if got != want {
				t.Errorf("%s, key %d: index says %s, knownhosts says %s", hp, i, got, want)
			}
		}
	}
}

// outcome summarises a host key check: accepted, revoked, unknown, a
// mismatch with the lines that matched, or another error.
func outcome(err error) string {
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case err == nil:
		return "accepted"
	case errors.As(err, &re):
		return fmt.Sprintf("revoked (line %d)", re.Revoked.Line)
	case errors.As(err, &ke) && len(ke.Want) == 0:
		return "unknown"
	case errors.As(err, &ke):
		var ls []int
		for _, w := range ke.Want {
			ls = append(ls, w.Line)
		}
		return fmt.Sprintf("mismatch (lines %v)", ls)
	}
	return "error"
}

// A host advertises the algorithms of its recorded keys, and those of a
// host certificate when a @cert-authority covers it.
func TestHostKeyAlgorithmsFromTheIndex(t *testing.T) {
	ed := newEd25519Signer(t).PublicKey()
	path := filepath.Join(t.TempDir(), "known_hosts")
	body := "a.example " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ed))) + "\n" +
		"@cert-authority *.certs.example " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(ed))) + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &hostKeys{path: path}
	for hp, want := range map[string][]string{
		"a.example:22":       {ssh.KeyAlgoED25519},
		"b.certs.example:22": {ssh.CertAlgoED25519v01},
		"unknown.example:22": nil,
	} {
		if got := h.lookup(hp).algorithms(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", hp, got, want)
		}
	}
}

// Looking up a host among 10,000 costs about what it costs among 10.
func BenchmarkHostKeyLookup(b *testing.B) {
	path := filepath.Join(b.TempDir(), "known_hosts")
	var sb strings.Builder
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(newEd25519SignerB(b).PublicKey())))
	for i := range 10000 {
		fmt.Fprintf(&sb, "[127.0.0.1]:%d %s\n", 20000+i, key)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	h := &hostKeys{path: path}
	h.lookup("127.0.0.1:20000")
	i := 0
	for b.Loop() {
		if k := h.lookup(fmt.Sprintf("127.0.0.1:%d", 20000+i%10000)); len(k.lines) != 1 {
			b.Fatal("not found")
		}
		i++
	}
}

func newEd25519SignerB(b *testing.B) ssh.Signer {
	b.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// Running out of descriptors is reported as itself, not as an unreachable host.
func TestTooManyOpenFilesIsNotUnreachable(t *testing.T) {
	err := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.EMFILE)}
	if !tooManyFiles(err) {
		t.Fatal("EMFILE not recognised")
	}
	got := filesErr(err)
	if !errors.Is(got, ErrTooManyOpenFiles) || errors.Is(got, ErrUnreachable) || !strings.Contains(got.Error(), "RLIMIT_NOFILE") {
		t.Errorf("%v", got)
	}
}
