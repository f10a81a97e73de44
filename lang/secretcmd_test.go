package lang

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stubManager writes a password-manager stand-in into dir/bin: `pm get
// NAME` prints the secret of NAME (and a line on standard error holding
// it, which berth must not show), counts its runs in dir/runs, and exits 3
// for an unknown NAME. It returns the environ that finds it.
func stubManager(t *testing.T, dir string) []string {
	t.Helper()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
echo run >> "` + filepath.Join(dir, "runs") + `"
case "$2" in
db) echo "pm-secret-db-7731" >&2; echo "pm-secret-db-7731" ;;
api) printf 'pm-secret-api-1234\n' ;;
*) echo "no item $2, secret pm-secret-db-7731" >&2; exit 3 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "pm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"HOME=/home/test", "PATH=" + bin + ":/usr/bin:/bin"}
}

const secretCmdConfig = `
service "shop" { image = "10.77.0.1:5000/shop" }
locals {
  db = secret_cmd(["pm", "get", "db"])
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  secret_env = { DB = local.db, DB2 = secret_cmd(["pm", "get", "db"]), API = secret_cmd(["pm", "get", "api"]) }
}
deploy { version = "v1" }
`

// TestSecretCmd: the command's output without its newline is a secret,
// each distinct argv runs once, and the configuration's hash follows it.
func TestSecretCmd(t *testing.T) {
	dir := writeConfig(t, map[string]string{"berth.hcl": secretCmdConfig})
	environ := stubManager(t, dir)
	cfg := loadValid(t, Options{Dir: dir, Environ: environ})
	env := cfg.Roles[0].SecretEnv
	if env["DB"].Value() != "pm-secret-db-7731" || env["DB2"].Value() != "pm-secret-db-7731" || env["API"].Value() != "pm-secret-api-1234" {
		t.Errorf("secret_env = %q %q %q", env["DB"].Value(), env["DB2"].Value(), env["API"].Value())
	}
	if got := env["API"].Ref(); got != `secret_cmd(["pm", "get", "api"])` {
		t.Errorf("ref = %q", got)
	}
	runs, _ := os.ReadFile(filepath.Join(dir, "runs"))
	if n := strings.Count(string(runs), "run"); n != 2 {
		t.Errorf("the stub ran %d times, want 2 (once per distinct argv)", n)
	}

	// Validate runs nothing.
	_ = os.Remove(filepath.Join(dir, "runs"))
	res := Load(context.Background(), Options{Dir: dir, Environ: environ, Validate: true})
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); err == nil {
		t.Error("validate ran secret_cmd")
	}

	// Another secret, another configuration hash.
	other := func(ctx context.Context, dir string, environ, argv []string) ([]byte, error) {
		return []byte("changed\n"), nil
	}
	cfg2 := loadValid(t, Options{Dir: dir, Environ: environ, SecretCommand: other})
	if cfg2.Hash == cfg.Hash {
		t.Error("the hash did not change with the secret")
	}
}

// TestSecretCmdErrors: a failing, missing or silent command is an error at
// the call, naming the program and its exit status, never its output.
func TestSecretCmdErrors(t *testing.T) {
	for name, tc := range map[string]struct{ call, want string }{
		"exit":       {`secret_cmd(["pm", "get", "nope"])`, `"pm" exited with status 3`},
		"not found":  {`secret_cmd(["no-such-manager", "x"])`, `"no-such-manager" was not found in PATH`},
		"empty":      {`secret_cmd([])`, "secret_cmd takes the command and its arguments"},
		"silent":     {`secret_cmd(["true"])`, `"true" printed nothing`},
		"not a list": {`secret_cmd("pm get db")`, "list of string required"},
	} {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(secretCmdConfig, `secret_cmd(["pm", "get", "api"])`, tc.call, 1)
			dir := writeConfig(t, map[string]string{"berth.hcl": src})
			res := Load(context.Background(), Options{Dir: dir, Environ: stubManager(t, dir)})
			if !res.Diags.HasErrors() {
				t.Fatal("no error")
			}
			var text strings.Builder
			if err := WriteDiagnostics(&text, res.Files, res.Diags, 0, false); err != nil {
				t.Fatal(err)
			}
			out := text.String()
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "berth.hcl:9:") {
				t.Errorf("diagnostics lack %q or the position berth.hcl:9:\n%s", tc.want, out)
			}
			if strings.Contains(out, "pm-secret") {
				t.Errorf("a secret in the diagnostics:\n%s", out)
			}
		})
	}
}

// TestSecretCmdNotElsewhere: its value is refused where it would be printed.
func TestSecretCmdNotElsewhere(t *testing.T) {
	src := strings.Replace(secretCmdConfig, `hosts      = [host.h1]`, `hosts = [host.h1]
  env   = { X = secret_cmd(["pm", "get", "api"]) }`, 1)
	dir := writeConfig(t, map[string]string{"berth.hcl": src})
	res := Load(context.Background(), Options{Dir: dir, Environ: stubManager(t, dir)})
	if !res.Diags.HasErrors() || !strings.Contains(res.Diags.Error(), "sensitive value in a non-secret attribute") {
		t.Fatalf("diags = %v", res.Diags)
	}
	if strings.Contains(res.Diags.Error(), "pm-secret") {
		t.Errorf("a secret in %v", res.Diags)
	}
}

// TestSecretCmdRecipes: the README's recipes for 1Password, Bitwarden, AWS
// Secrets Manager and pass, against stubs that accept exactly the
// arguments the recipes give.
func TestSecretCmdRecipes(t *testing.T) {
	stubs := map[string]string{
		"op":   `[ "$*" = "read op://production/db/password" ]`,
		"bw":   `[ "$*" = "get password shop-api-key" ]`,
		"aws":  `[ "$*" = "secretsmanager get-secret-value --secret-id shop/stripe --query SecretString --output text" ]`,
		"pass": `[ "$*" = "show shop/smtp" ]`,
	}
	dir := writeConfig(t, map[string]string{"berth.hcl": `
service "shop" { image = "10.77.0.1:5000/shop" }
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  secret_env = {
    DB_PASSWORD = secret_cmd(["op", "read", "op://production/db/password"])
    API_KEY     = secret_cmd(["bw", "get", "password", "shop-api-key"])
    STRIPE_KEY  = secret_cmd(["aws", "secretsmanager", "get-secret-value", "--secret-id", "shop/stripe",
                              "--query", "SecretString", "--output", "text"])
    SMTP_PASSWORD = secret_cmd(["pass", "show", "shop/smtp"])
  }
}
deploy { version = "v1" }
`})
	for name, check := range stubs {
		writeFile(t, dir, "bin/"+name, "#!/bin/sh\n"+check+" || exit 2\necho "+name+"-secret\n")
		if err := os.Chmod(filepath.Join(dir, "bin", name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := loadValid(t, Options{Dir: dir, Environ: []string{"PATH=" + dir + "/bin"}})
	env := cfg.Roles[0].SecretEnv
	for key, name := range map[string]string{"DB_PASSWORD": "op", "API_KEY": "bw", "STRIPE_KEY": "aws", "SMTP_PASSWORD": "pass"} {
		if got := env[key].Value(); got != name+"-secret" {
			t.Errorf("%s = %q", key, got)
		}
	}
}
