package sshx

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The known_hosts file is parsed once while it does not change, and again
// as soon as it does.
func TestHostKeysReparsedOnlyWhenTheFileChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "known_hosts")
	a, b := newEd25519Signer(t).PublicKey(), newEd25519Signer(t).PublicKey()
	hostport := "127.0.0.1:2222"
	line := func(k ssh.PublicKey) []byte {
		return []byte(knownhosts.Line([]string{knownhosts.Normalize(hostport)}, k) + "\n")
	}
	if err := os.WriteFile(path, line(a), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &hostKeys{path: path}
	if err := h.lookup(hostport).check(hostport, a); err != nil {
		t.Fatalf("recorded key refused: %v", err)
	}
	first := h.db.Load()
	if err := h.lookup(hostport).check(hostport, a); err != nil {
		t.Fatal(err)
	}
	if h.db.Load() != first {
		t.Error("an unchanged known_hosts file was parsed again")
	}
	// Another process replaces the key: the next check must see it.
	if err := os.WriteFile(path, append(line(b), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	var ke *knownhosts.KeyError
	if err := h.lookup(hostport).check(hostport, a); !errors.As(err, &ke) || len(ke.Want) == 0 {
		t.Errorf("old key after the file changed: %v, want a mismatch", err)
	}
	if err := h.lookup(hostport).check(hostport, b); err != nil {
		t.Errorf("new key refused: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := h.lookup(hostport).check(hostport, b); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removed file: %v, want ErrNotExist", err)
	}
}
