package sshconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const config = `
Host web-*  !web-old
  HostName %h.internal.example
  User deploy
  IdentityFile ~/.ssh/web_%r
Host web-1 db
  Port 2222
  ProxyJump ops@bastion.example:2200
Host db
  HostName 10.0.0.5
  User postgres
  UserKnownHostsFile ~/.ssh/known_db /etc/ssh/known_more
Host *
  User fallback
  ProxyJump none
`

// TestLookup: patterns and negations, the first value wins, tokens and ~.
func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path, "/home/me")
	if err != nil {
		t.Fatal(err)
	}
	for alias, want := range map[string]Settings{
		"web-1":   {HostName: "web-1.internal.example", User: "deploy", Port: 2222, IdentityFile: "/home/me/.ssh/web_deploy", ProxyJump: "ops@bastion.example:2200"},
		"web-2":   {HostName: "web-2.internal.example", User: "deploy", IdentityFile: "/home/me/.ssh/web_deploy"},
		"web-old": {User: "fallback"},
		"db":      {HostName: "10.0.0.5", User: "postgres", Port: 2222, ProxyJump: "ops@bastion.example:2200", KnownHosts: "/home/me/.ssh/known_db"},
	} {
		got, err := f.Lookup(alias)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", alias, got, err, want)
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "none"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("Host a\n  Port http\nHost b\n  ProxyJump x,y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Lookup("a"); err == nil || err.Error() != `the Port "http" for a is not a TCP port` {
		t.Errorf("a: %v", err)
	}
	if _, err := f.Lookup("b"); err == nil {
		t.Error("b: a jump chain is accepted")
	}
}
