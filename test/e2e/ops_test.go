//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// opsConfig is one web role without a published port, on the hosts given
// as HCL references, with extra blocks and role attributes.
func opsConfig(l *LabEnv, service, hosts, roleExtra, extra string) string {
	return fmt.Sprintf(`
service %q {
  image = "%s/app"
}
%s
role "web" {
  hosts = [%s]
  cmd   = ["/app", "serve"]
  %s
}
deploy {
  version         = "v1"
  readiness_delay = "1s"
  stop_timeout    = "5s"
}
%s
`, service, Registry, l.RegistryBlock(), hosts, roleExtra, extra)
}

// TestSecretCmdReachesTheContainer: a stub password manager's secret is in
// the container's environment and in no output, plan file or ps listing;
// a failing command is an error naming it, and nothing is deployed.
func TestSecretCmdReachesTheContainer(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "scmd")
	const secret = "pm-secret-e2e-5521"
	dir := l.WriteConfig(t, opsConfig(l, svc, "host.h1", `secret_env = { DB_PASSWORD = secret_cmd(["pm", "read", var.item]) }`,
		l.HostBlocks("h1")+"variable \"item\" { default = \"op://vault/db/password\" }\n"))
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	stub := "#!/bin/sh\n[ \"$2\" = op://vault/db/password ] || { echo \"no item $2 (" + secret + ")\" >&2; exit 4; }\necho " + secret + "\n"
	if err := os.WriteFile(filepath.Join(bin, "pm"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PATH": bin + ":" + os.Getenv("PATH")}

	// A failing command: a clear error at the call, naming it; no host changes.
	r := l.BerthEnv(t, dir, env, "apply", "--auto-approve", "--var", "item=op://vault/none")
	if r.Code != 1 || !strings.Contains(r.Stderr, `"pm" exited with status 4`) || !strings.Contains(r.Stderr, "on main.hcl:") {
		t.Fatalf("failing secret_cmd: %s", r)
	}
	if strings.Contains(r.String(), secret) {
		t.Fatalf("the secret in the output of a failed command: %s", r)
	}
	if got := l.Containers(t, "h1", svc); len(got) != 0 {
		t.Fatalf("containers after a failed secret_cmd: %v", got)
	}

	plan := filepath.Join(dir, "plan.json")
	outputs := []Result{l.BerthEnv(t, dir, env, "plan", "--out", plan)}
	outputs = append(outputs, l.BerthEnv(t, dir, env, "apply", plan))
	outputs = append(outputs, l.BerthEnv(t, dir, env, "status"), l.BerthEnv(t, dir, env, "show", "--json", plan))
	for _, o := range outputs[:3] {
		if o.Code != 0 {
			t.Fatalf("berth: %s", o)
		}
	}
	b, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range append(outputs, Result{Stdout: string(b)}) {
		if strings.Contains(o.String(), secret) {
			t.Fatalf("the secret in an output or the plan file: %s", o)
		}
	}
	cs := l.Containers(t, "h1", svc)
	if len(cs) != 1 {
		t.Fatalf("containers: %v", cs)
	}
	envs := l.MustSSH(t, "h1", "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "+cs[0].ID)
	if !strings.Contains(envs, "DB_PASSWORD="+secret+"\n") {
		t.Errorf("the container's environment lacks the secret")
	}
	if ps := l.MustSSH(t, "h1", "ps -eo args"); strings.Contains(ps, secret) {
		t.Errorf("the secret in ps on the host")
	}
}

// TestSSHConfigHostAliases: hosts given only as Host aliases of an OpenSSH
// config file (HostName, User, Port, IdentityFile, UserKnownHostsFile)
// plan and apply; without the file they cannot be reached.
func TestSSHConfigHostAliases(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "sshcfg")
	var conf, hosts strings.Builder
	for _, h := range l.Hosts {
		fmt.Fprintf(&conf, "Host lab-%s\n  HostName %s\n  User root\n  Port 22\n  IdentityFile %s\n  UserKnownHostsFile %s\n\n",
			h.Name, h.Addr, l.KeyPath, l.KnownHostsPath)
		fmt.Fprintf(&hosts, "host %q { address = \"lab-%s\" }\n", h.Name, h.Name)
	}
	dir := l.WriteConfig(t, opsConfig(l, svc, "host.h1, host.h2, host.h3", "",
		hosts.String()+"ssh { config = \"ssh_config\" }\n"))
	if err := os.WriteFile(filepath.Join(dir, "ssh_config"), []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := l.Berth(t, dir, "plan"); r.Code != 0 || !strings.Contains(r.Stdout, "+ h1/web") || !strings.Contains(r.Stdout, "Plan: 3 to create") {
		t.Fatalf("plan: %s", r)
	}
	if r := l.Berth(t, dir, "apply", "--auto-approve"); r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if got := runningNames(t, l, h, svc, "web"); len(got) != 1 {
			t.Errorf("%s runs %v", h, got)
		}
	}
	if r := l.Berth(t, dir, "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("plan after apply: %s", r)
	}
	// The same configuration without the OpenSSH config: the aliases mean nothing.
	if err := os.Rename(filepath.Join(dir, "ssh_config"), filepath.Join(dir, "gone")); err != nil {
		t.Fatal(err)
	}
	if r := l.Berth(t, dir, "plan"); r.Code != 1 || !strings.Contains(r.Stderr, "Cannot read the OpenSSH config") {
		t.Errorf("plan without the ssh config: %s", r)
	}
}

// TestDestinations: --destination staging and production deploy different
// hosts from one directory, with locks of their own, and
// require_destination refuses a plain apply.
func TestDestinations(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "dest")
	t.Cleanup(func() {
		for _, h := range l.Hosts {
			_, _ = l.SSH(t, h.Name, fmt.Sprintf("rm -rf ~/.berth/roster/%[1]s@* ~/.berth/audit/%[1]s@* ~/.berth/locks/%[1]s@*", svc))
		}
	})
	base := strings.Replace(opsConfig(l, svc, "", "", l.HostBlocks()), "image = ", "require_destination = true\n  image = ", 1)
	dir := l.WriteConfig(t, base)
	write := func(name, src string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("web.staging.hcl", "role \"web\" { hosts = [host.h1] }\n")
	write("production/web.hcl", "role \"web\" { hosts = [host.h2, host.h3] }\n")

	if r := l.Berth(t, dir, "apply", "--auto-approve"); r.Code != 1 || !strings.Contains(r.Stderr, "A destination is required") {
		t.Fatalf("plain apply: %s", r)
	}
	r := l.Berth(t, dir, "--destination", "staging", "apply", "--auto-approve")
	if r.Code != 0 || !strings.Contains(r.Stdout, "(destination staging)") {
		t.Fatalf("staging: %s", r)
	}
	// staging's lock held by hand does not stop production.
	if r := l.Berth(t, dir, "-d", "staging", "lock", "acquire", "-m", "staging freeze"); r.Code != 0 {
		t.Fatalf("lock acquire: %s", r)
	}
	if r := l.Berth(t, dir, "-d", "staging", "apply", "--auto-approve"); r.Code != 1 || !strings.Contains(r.String(), "staging freeze") {
		t.Errorf("staging apply under its lock: %s", r)
	}
	r = l.BerthEnv(t, dir, map[string]string{"BERTH_DESTINATION": "production"}, "apply", "--auto-approve")
	if r.Code != 0 || !strings.Contains(r.Stdout, "(destination production)") || strings.Contains(r.Stdout, "h1/") {
		t.Fatalf("production: %s", r)
	}
	if out := l.MustSSH(t, "h1", "ls ~/.berth/locks/"); !strings.Contains(out, svc+"@staging") {
		t.Errorf("locks on h1: %s", out)
	}
	if r := l.Berth(t, dir, "-d", "staging", "lock", "release"); r.Code != 0 {
		t.Errorf("lock release: %s", r)
	}
	want := map[string]string{"h1": svc + "-staging-web-v1", "h2": svc + "-production-web-v1", "h3": svc + "-production-web-v1"}
	for h, name := range want {
		if got := runningNames(t, l, h, svc, "web"); len(got) != 1 || got[0] != name {
			t.Errorf("%s runs %v, want %s", h, got, name)
		}
	}
	for _, d := range []string{"staging", "production"} {
		if r := l.Berth(t, dir, "-d", d, "plan", "--detailed-exitcode"); r.Code != 0 {
			t.Errorf("%s plan after apply: %s", d, r)
		}
	}
	if r := l.Berth(t, dir, "-d", "production", "status"); !strings.Contains(r.Stdout, "destination production") || strings.Contains(r.Stdout, "h1 ") {
		t.Errorf("status: %s", r)
	}
}
