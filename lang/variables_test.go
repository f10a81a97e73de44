package lang

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const precedenceConfig = `
service "shop" { image = "10.77.0.1:5000/shop" }
variable "level" {
  type    = string
  default = "from-default"
}
variable "count" {
  type    = number
  default = 1
}
variable "tags" {
  type    = list(string)
  default = []
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  env   = { LEVEL = var.level, COUNT = tostring(var.count), TAGS = join(",", var.tags) }
}
deploy { version = "v1" }
`

func writeConfig(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestVariablePrecedence: default < --var-file < BERTH_VAR_<name> < --var.
func TestVariablePrecedence(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"berth.hcl":      precedenceConfig,
		"vars.tfvars":    "level = \"from-file\"\ncount = 2\n",
		"later.tfvars":   "count = 3\ntags = [\"a\", \"b\"]\n",
		"notconfig.hclx": "",
	})
	files := []string{filepath.Join(dir, "vars.tfvars"), filepath.Join(dir, "later.tfvars")}
	cases := []struct {
		name  string
		opts  Options
		level string
		count string
		tags  string
	}{
		{"default", Options{}, "from-default", "1", ""},
		{"var-file", Options{VarFiles: files[:1]}, "from-file", "2", ""},
		{"later var-file wins", Options{VarFiles: files}, "from-file", "3", "a,b"},
		{"environment", Options{VarFiles: files, Environ: []string{"BERTH_VAR_level=from-env", "BERTH_VAR_tags=[\"c\"]"}}, "from-env", "3", "c"},
		{"--var", Options{VarFiles: files, Environ: []string{"BERTH_VAR_level=from-env"}, Vars: []string{"level=from-flag", "count=7", "level=last-flag"}}, "last-flag", "7", "a,b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Dir = dir
			if c.opts.Environ == nil {
				c.opts.Environ = []string{}
			}
			cfg := loadValid(t, c.opts)
			env := cfg.Roles[0].Env
			if env["LEVEL"] != c.level || env["COUNT"] != c.count || env["TAGS"] != c.tags {
				t.Errorf("env = %v, want LEVEL=%s COUNT=%s TAGS=%s", env, c.level, c.count, c.tags)
			}
		})
	}
}

func TestVarFlagErrors(t *testing.T) {
	dir := writeConfig(t, map[string]string{"berth.hcl": precedenceConfig})
	for _, c := range []struct {
		vars []string
		want string
	}{
		{[]string{"nope=1"}, "Value for undeclared variable"},
		{[]string{"level"}, "Invalid --var option"},
		{[]string{"count=many"}, "Invalid value for variable"},
		{[]string{"tags=[unclosed"}, "Invalid value for variable"},
	} {
		res := Load(context.Background(), Options{Dir: dir, Vars: c.vars, Environ: []string{}})
		if !res.Diags.HasErrors() || !strings.Contains(res.Diags.Error(), c.want) {
			t.Errorf("--var %v: diags %v, want %q", c.vars, res.Diags, c.want)
		}
	}
}

// TestGitVersion: without deploy.version or var.version the version is
// HEAD's short SHA, with -dirty for an unclean tree.
func TestGitVersion(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	src := strings.Replace(precedenceConfig, `deploy { version = "v1" }`, "", 1)
	dir := writeConfig(t, map[string]string{"berth.hcl": src})
	res := Load(context.Background(), Options{Dir: dir, Environ: []string{}})
	if !strings.Contains(res.Diags.Error(), "No version") {
		t.Fatalf("outside git: %v", res.Diags)
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "init")
	sha := git("rev-parse", "--short=7", "HEAD")
	cfg := loadValid(t, Options{Dir: dir, Environ: []string{}})
	if cfg.Version != (Version{Full: sha, Short: sha, Source: "git"}) {
		t.Errorf("clean: %+v, want %s", cfg.Version, sha)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg = loadValid(t, Options{Dir: dir, Environ: []string{}})
	if cfg.Version.Full != sha+"-dirty" || cfg.Version.Short != sha+"-dirty" {
		t.Errorf("dirty: %+v", cfg.Version)
	}
}

func TestConfigHash(t *testing.T) {
	dir := writeConfig(t, map[string]string{"berth.hcl": precedenceConfig})
	h := func(vars ...string) string {
		return loadValid(t, Options{Dir: dir, Vars: vars, Environ: []string{}}).Hash
	}
	if first, second := h(), h(); first != second {
		t.Error("hash not stable")
	}
	if h() == h("level=other") {
		t.Error("hash ignores variable values")
	}
}

func TestVarFileDiagnostics(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"berth.hcl":  precedenceConfig,
		"prod.vars":  "level = \"x\"\ncount = \"many\"\nnope  = 1\n",
		"broken.txt": "level = \n",
	})
	res := Load(context.Background(), Options{Dir: dir, Environ: []string{}, VarFiles: []string{filepath.Join(dir, "prod.vars")}})
	var got []string
	for _, d := range res.Diags {
		got = append(got, fmt.Sprintf("%s:%d %s", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Summary))
	}
	want := []string{"prod.vars:2 Invalid value for variable", "prod.vars:3 Value for undeclared variable"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	res = Load(context.Background(), Options{Dir: dir, Environ: []string{}, VarFiles: []string{filepath.Join(dir, "broken.txt")}})
	if !res.Diags.HasErrors() || res.Files[filepath.Join(dir, "broken.txt")] == nil {
		t.Errorf("broken var file: %v", res.Diags)
	}
}
