package lang

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const leakyConfig = `
service "shop" {
  image = "10.77.0.1:5000/shop"
}
variable "token" {
  type      = string
  sensitive = true
  validation {
    condition     = strlen(var.token) > 100
    error_message = "token ${var.token} is too short"
  }
}
variable "pin" {
  type      = number
  sensitive = true
}
registry {
  server   = "10.77.0.1:5000"
  password = var.token
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  cmd        = ["/app", var.token]
  env        = { A = env("DB_PASSWORD"), B = upper(var.token) }
  labels     = { l = regex(var.token, "x") }
  volumes    = [tonumber(env("DB_PASSWORD"))]
  secret_env = { S = env("DB_PASSWORD"), T = "${var.token}-suffix" }
}
accessory "db" {
  image = "10.77.0.1:5000/db:${var.token}"
  host  = host.h1
}
deploy { version = env("DB_PASSWORD") }
`

// TestSecretsNeverPrinted loads a configuration that misuses secrets in
// every way it can and checks that no rendering of the result shows them.
func TestSecretsNeverPrinted(t *testing.T) {
	secrets := []string{"db-secret-4711", "tok-(abc", "987654"}
	for _, validate := range []bool{false, true} {
		t.Run(fmt.Sprint("validate=", validate), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(leakyConfig), 0o644); err != nil {
				t.Fatal(err)
			}
			res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Validate: validate,
				Vars: []string{"token=tok-(abc", "pin=987654x"}, VarFiles: nil})
			if !res.Diags.HasErrors() {
				t.Fatal("expected errors")
			}
			var out bytes.Buffer
			if err := WriteDiagnostics(&out, res.Files, res.Diags, 78, false); err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(DiagnosticsJSON(res.Diags))
			out.Write(js)
			for _, d := range res.Diags {
				out.WriteString(d.Error())
			}
			text := out.String()
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("secret %q printed:\n%s", s, text)
				}
			}
			for _, want := range []string{"sensitive value in a non-secret attribute"} {
				if !strings.Contains(text, want) {
					t.Errorf("missing %q in:\n%s", want, text)
				}
			}
		})
	}
}

// TestSecretsInConfig checks that a loaded configuration keeps secrets as
// Secret values that render as (sensitive) everywhere.
func TestSecretsInConfig(t *testing.T) {
	env := append([]string{"API_KEY=api-key-1234", "CACHE_PASSWORD=cache-pass-5678"}, testEnviron...)
	cfg := loadValid(t, Options{Dir: "testdata/valid/full", Environ: env, Vars: []string{"db_password=pw-from-cli"}})
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, js)
	for _, s := range []string{"api-key-1234", "cache-pass-5678", "pw-from-cli", "registry-secret-0815"} {
		if strings.Contains(text, s) {
			t.Errorf("secret %q rendered", s)
		}
	}
	if got := cfg.Roles[0].SecretEnv["DB_PASSWORD"].Value(); got != "pw-from-cli" {
		t.Errorf("secret value = %q", got)
	}
}
