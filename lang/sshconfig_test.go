package lang

import (
	"context"
	"strings"
	"testing"
)

const sshConfigFile = `
Host lab-a
  HostName 10.77.0.11
Host lab-b
  HostName 10.77.0.12
Host lab-*
  HostName 10.77.0.99
  User ops
  Port 2200
  IdentityFile ~/.ssh/lab_key
  UserKnownHostsFile ~/.ssh/lab_known
  ProxyJump jump@bastion:22
`

// TestSSHConfigPrecedence: the host block beats the ssh block, which beats
// the OpenSSH config, which beats berth's defaults; `config = false` reads
// none, and ~/.ssh/config is read by default.
func TestSSHConfigPrecedence(t *testing.T) {
	base := `
service "shop" { image = "10.77.0.1:5000/shop" }
SSH
host "a" { address = "lab-a" }
host "b" {
  address = "lab-b"
  user    = "own"
  port    = 2022
}
host "c" { address = "10.77.0.13" }
role "web" { hosts = [host.a, host.b, host.c] }
deploy { version = "v1" }
`
	load := func(sshBlock string) *Config {
		t.Helper()
		dir := writeConfig(t, map[string]string{"berth.hcl": strings.Replace(base, "SSH", sshBlock, 1)})
		writeFile(t, dir, "home/.ssh/config", sshConfigFile)
		writeFile(t, dir, "other_config", "Host lab-a\n  HostName 192.0.2.1\n")
		return loadValid(t, Options{Dir: dir, Environ: []string{"HOME=" + dir + "/home"}})
	}
	cfg := load("")
	home := cfg.Dir + "/home"
	a, b, c := *cfg.Host("a"), *cfg.Host("b"), *cfg.Host("c")
	if want := (Host{Name: "a", Address: "10.77.0.11", User: "ops", Port: 2200, Identity: home + "/.ssh/lab_key",
		KnownHosts: home + "/.ssh/lab_known", ProxyJump: "jump@bastion:22"}); a != want {
		t.Errorf("a = %+v\nwant %+v", a, want)
	}
	if b.Address != "10.77.0.12" || b.User != "own" || b.Port != 2022 || b.Identity != home+"/.ssh/lab_key" {
		t.Errorf("b = %+v: the host block wins", b)
	}
	if c != (Host{Name: "c", Address: "10.77.0.13"}) {
		t.Errorf("c = %+v: no Host entry matches it", c)
	}
	if cfg.SSH.User != "root" || cfg.SSH.Port != 22 {
		t.Errorf("ssh defaults = %+v", cfg.SSH)
	}

	cfg = load(`ssh {
  user        = "root"
  identity    = "/keys/id"
  known_hosts = "/keys/known"
  proxy_jump  = "none.example"
}`)
	if a := *cfg.Host("a"); a != (Host{Name: "a", Address: "10.77.0.11", Port: 2200}) {
		t.Errorf("a = %+v: the ssh block wins over the OpenSSH config", a)
	}
	if a := *load(`ssh { config = false }`).Host("a"); a != (Host{Name: "a", Address: "lab-a"}) {
		t.Errorf("config = false: a = %+v", a)
	}
	if a := *load(`ssh { config = "other_config" }`).Host("a"); a.Address != "192.0.2.1" {
		t.Errorf("a relative config path is the configuration directory's: a = %+v", a)
	}
}

// TestSSHConfigErrors: an explicit config that is missing or wrong is an
// error at the attribute or the host; a missing default one is not.
func TestSSHConfigErrors(t *testing.T) {
	src := `
service "shop" { image = "10.77.0.1:5000/shop" }
ssh { config = "/nonexistent/ssh_config" }
host "a" { address = "lab-a" }
role "web" { hosts = [host.a] }
deploy { version = "v1" }
`
	dir := writeConfig(t, map[string]string{"berth.hcl": src})
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if msg := res.Diags.Error(); !strings.Contains(msg, "berth.hcl:3,16") || !strings.Contains(msg, "Cannot read the OpenSSH config") {
		t.Errorf("missing config: %s", msg)
	}
	writeFile(t, dir, "ssh_config", "Host lab-a\n  Port 99999\n")
	writeFile(t, dir, "berth.hcl", strings.Replace(src, "/nonexistent/ssh_config", dir+"/ssh_config", 1))
	res = Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if msg := res.Diags.Error(); !strings.Contains(msg, "berth.hcl:4,1") || !strings.Contains(msg, `Port "99999" for lab-a is not a TCP port`) {
		t.Errorf("bad port: %s", msg)
	}
}
