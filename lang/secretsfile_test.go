package lang

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretsFileConfig = `
service "shop" { image = "10.77.0.1:5000/shop" }
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts      = [host.h1]
  secret_env = secrets_file(".berth/secrets")
}
role "worker" {
  hosts      = [host.h1]
  secret_env = { DB = secrets_file(".berth/secrets")["DB_PASSWORD"] }
}
deploy { version = "v1" }
`

const secretsDotenv = `# the service's secrets
DB_PASSWORD=file-secret-db-1
export API_KEY="file-secret-api\n2"
LITERAL='$(not run) file-secret-3'
`

// TestSecretsFile: a dotenv file as a map of secrets, whole or by key.
func TestSecretsFile(t *testing.T) {
	dir := writeConfig(t, map[string]string{"berth.hcl": secretsFileConfig})
	writeFile(t, dir, ".berth/secrets", secretsDotenv)
	cfg := loadValid(t, Options{Dir: dir})
	web, worker := cfg.Roles[0].SecretEnv, cfg.Roles[1].SecretEnv
	if len(web) != 3 || web["DB_PASSWORD"].Value() != "file-secret-db-1" || web["API_KEY"].Value() != "file-secret-api\n2" ||
		web["LITERAL"].Value() != "$(not run) file-secret-3" {
		t.Errorf("web secret_env = %d keys", len(web))
	}
	if worker["DB"].Value() != "file-secret-db-1" || worker["DB"].Ref() != `secrets_file(".berth/secrets")["DB_PASSWORD"]` {
		t.Errorf("worker DB from %q", worker["DB"].Ref())
	}
	writeFile(t, dir, ".berth/secrets", strings.Replace(secretsDotenv, "db-1", "db-2", 1))
	if cfg2 := loadValid(t, Options{Dir: dir}); cfg2.Hash == cfg.Hash {
		t.Error("the hash did not change with the secret")
	}
}

// TestSecretsFileErrors: no command substitution, no value in any error,
// a missing file is an error except for validate.
func TestSecretsFileErrors(t *testing.T) {
	for name, tc := range map[string]struct{ file, want string }{
		"substitution": {"A=ok\nDB_PASSWORD=$(op read op://v/i/f)\n", "line 2 (DB_PASSWORD) is a command substitution"},
		"backquote":    {"DB_PASSWORD=\"`pass show db`\"\n", "secret_cmd"},
		"syntax":       {"DB_PASSWORD file-secret-x\n", "line 1 is not KEY=VALUE"},
		"missing key":  {"OTHER=file-secret-x\n", "does not identify an element"},
		"missing file": {"", "cannot read the secrets file"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"berth.hcl": secretsFileConfig})
			if tc.file != "" {
				writeFile(t, dir, ".berth/secrets", tc.file)
			}
			res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
			if !res.Diags.HasErrors() || !strings.Contains(res.Diags.Error(), tc.want) {
				t.Fatalf("diags lack %q: %v", tc.want, res.Diags)
			}
			if strings.Contains(res.Diags.Error(), "file-secret") || strings.Contains(res.Diags.Error(), "op://") {
				t.Errorf("a value in %v", res.Diags)
			}
			if !strings.Contains(res.Diags.Error(), "berth.hcl:") {
				t.Errorf("no position in %v", res.Diags)
			}
		})
	}
	dir := writeConfig(t, map[string]string{"berth.hcl": secretsFileConfig})
	if res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Validate: true}); res.Diags.HasErrors() {
		t.Errorf("validate without the secrets file: %v", res.Diags)
	}
}

func writeFile(t *testing.T, dir, name, src string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}
