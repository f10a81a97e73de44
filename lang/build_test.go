package lang

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const buildConfig = `
service "shop" {
  image = "10.77.0.1:5000/shop"
  build {
    context    = "app"
    dockerfile = "docker/Dockerfile"
    target     = "final"
    args       = { VERSION = "1.2" }
    secrets    = { TOKEN = env("DB_PASSWORD") }
    platforms  = ["linux/amd64"]
    cache_from = ["10.77.0.1:5000/shop:cache"]
    cache_to   = ["type=inline"]
    labels     = { team = "shop" }
    builder { host = "builder@10.77.0.21:2222" }
  }
}
%s
host "h1" { address = "10.77.0.11" }
role "web" { hosts = [host.h1] }
`

func writeBuildDir(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "app", "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"berth.hcl":             strings.Replace(buildConfig, "%s", extra, 1),
		"app/docker/Dockerfile": "FROM scratch\n",
		"app/index.html":        "hello\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuildBlock(t *testing.T) {
	dir := writeBuildDir(t, `deploy { version = "v1" }`)
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Error())
	}
	b := res.Config.Service.Build
	if b == nil {
		t.Fatal("no build")
	}
	if b.Context != filepath.Join(dir, "app") || b.Dockerfile != "docker/Dockerfile" || b.Target != "final" {
		t.Errorf("context %q dockerfile %q target %q", b.Context, b.Dockerfile, b.Target)
	}
	if b.Args["VERSION"] != "1.2" || b.Labels["team"] != "shop" || b.Platform != "linux/amd64" {
		t.Errorf("args %v labels %v platform %q", b.Args, b.Labels, b.Platform)
	}
	if s := b.Secrets["TOKEN"]; s.Value() != "db-secret-4711" || s.Ref() != `env("DB_PASSWORD")` {
		t.Errorf("secret ref %q", s.Ref())
	}
	if len(b.CacheFrom) != 1 || len(b.CacheTo) != 1 || b.CacheTo[0] != "type=inline" {
		t.Errorf("cache %v %v", b.CacheFrom, b.CacheTo)
	}
	if b.Builder != (Builder{Host: "10.77.0.21", User: "builder", Port: 2222}) {
		t.Errorf("builder %+v", b.Builder)
	}
}

func TestLocalRegistry(t *testing.T) {
	dir := writeBuildDir(t, "deploy { version = \"v1\" }\nregistry {\n  local = true\n  port = 5600\n}")
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Error())
	}
	r := res.Config.Registry
	if !r.Local || r.Server != "127.0.0.1:5600" || !r.Insecure {
		t.Errorf("registry %+v", r)
	}
	if got := res.Config.Service.Image; got != "127.0.0.1:5600/shop" {
		t.Errorf("image %q", got)
	}
}

// The version of a built image is the commit of its context; a change
// outside the context does not make it dirty.
func TestBuildVersionFromContext(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := writeBuildDir(t, "")
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@t", "-c", "user.name=t"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	sha := git("rev-parse", "--short=7", "HEAD")
	load := func() Version {
		t.Helper()
		res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
		if res.Diags.HasErrors() {
			t.Fatal(res.Diags.Error())
		}
		return res.Config.Version
	}
	if v := load(); v.Full != sha || v.Source != "git" {
		t.Errorf("clean: %+v, want %s", v, sha)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := load(); v.Full != sha {
		t.Errorf("change outside the context: %+v, want %s", v, sha)
	}
	if err := os.WriteFile(filepath.Join(dir, "app", "index.html"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := load(); v.Full != sha+"-dirty" {
		t.Errorf("change in the context: %+v, want %s-dirty", v, sha)
	}
}
