package lang

import (
	"context"
	"strings"
	"testing"
)

// TestFunctions covers file(), env() and a few standard functions in locals.
func TestFunctions(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"berth.hcl": `
service "shop" { image = "10.77.0.1:5000/shop" }
locals {
  motd  = trimspace(file("motd.txt"))
  flags = [for f in split(",", "a,b") : "--${upper(f)}"]
  cfg   = jsonencode({ port = 8080 })
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  cmd        = concat(["/app"], local.flags)
  env        = { MOTD = local.motd, CFG = local.cfg, N = format("%03d", 7) }
  secret_env = { KEY = env("API_KEY"), CERT = file("motd.txt") }
}
deploy { version = "v1" }
`,
		"motd.txt": "  hello  \n",
	})
	cfg := loadValid(t, Options{Dir: dir, Environ: []string{"API_KEY=k-123"}})
	r := cfg.Roles[0]
	if got := strings.Join(r.Cmd, " "); got != "/app --A --B" {
		t.Errorf("cmd = %q", got)
	}
	if r.Env["MOTD"] != "hello" || r.Env["CFG"] != `{"port":8080}` || r.Env["N"] != "007" {
		t.Errorf("env = %v", r.Env)
	}
	if r.SecretEnv["KEY"].Value() != "k-123" || r.SecretEnv["KEY"].Ref() != `env("API_KEY")` {
		t.Errorf("KEY = %q from %q", r.SecretEnv["KEY"].Value(), r.SecretEnv["KEY"].Ref())
	}
	if r.SecretEnv["CERT"].Value() != "  hello  \n" || !strings.HasPrefix(r.SecretEnv["CERT"].Ref(), "expression at ") {
		t.Errorf("CERT from %q", r.SecretEnv["CERT"].Ref())
	}

	// env() of an unset variable: an error at plan time naming it, unknown for validate.
	res := Load(context.Background(), Options{Dir: dir, Environ: []string{}})
	if !res.Diags.HasErrors() || !strings.Contains(res.Diags.Error(), "API_KEY") {
		t.Errorf("unset env: %v", res.Diags)
	}
	res = Load(context.Background(), Options{Dir: dir, Environ: []string{}, Validate: true})
	if res.Diags.HasErrors() {
		t.Errorf("validate with unset env: %v", res.Diags)
	}
}
