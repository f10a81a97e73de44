package lang

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const optionsConfig = `
service "shop" {
  image = "10.77.0.1:5000/shop"
}
host "h1" { address = "10.77.0.11" }
deploy { version = "v1" }
role "web" {
  hosts              = [host.h1]
  depends_on         = [accessory.cache]
  memory             = "128m"
  memory_reservation = "64MiB"
  cpus               = 1.5
  pids_limit         = 200
  restart            = "on-failure:3"
  user               = "1000:1000"
  workdir            = "/srv"
  entrypoint         = ["/app"]
  init               = true
  hostname           = "web-1.internal"
  extra_hosts        = ["db.internal:10.0.0.5"]
  devices            = ["/dev/fuse:/dev/fuse:rw"]
  cap_add            = ["net_admin"]
  cap_drop           = ["CAP_MKNOD"]
  security_opt       = ["no-new-privileges"]
  sysctls            = { "net.core.somaxconn" = "1024" }
  ulimits            = { nofile = "1024:4096", core = 0 }
  shm_size           = "1g"
  tmpfs              = ["/tmp:size=64m"]
  read_only          = true
  env_file           = "app.env"
  logging {
    driver  = "json-file"
    options = { "max-size" = "10m" }
  }
  healthcheck {
    cmd             = ["/app", "check"]
    steady_interval = "1m"
  }
}
role "worker" {
  hosts      = [host.h1]
  restart    = "unless-stopped"
  depends_on = []
  env_file   = { path = "plain.env", sensitive = false }
}
accessory "cache" {
  image = "10.77.0.1:5000/cache:7"
  host  = host.h1
  healthcheck {
    cmd = ["/app", "version"]
  }
}
`

func TestOptionsDecode(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"berth.hcl": optionsConfig,
		"app.env":   "# secrets\nexport DB_URL=\"postgres://u:p4ss@db/shop\"\nTOKEN='tok-3141'\n\n",
		"plain.env": "LOG_LEVEL=debug # comment\n",
	}
	for n, s := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags)
	}
	cfg := res.Config
	web, worker := cfg.Roles[0], cfg.Roles[1]
	want := RunOptions{
		Memory: 128 << 20, MemoryReservation: 64 << 20, CPUs: 1.5, PidsLimit: 200, Restart: "on-failure:3",
		User: "1000:1000", Workdir: "/srv", Entrypoint: []string{"/app"}, Init: true, Hostname: "web-1.internal",
		ExtraHosts: []string{"db.internal:10.0.0.5"}, Devices: []string{"/dev/fuse:/dev/fuse:rw"},
		CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"MKNOD"}, SecurityOpt: []string{"no-new-privileges"},
		Sysctls: map[string]string{"net.core.somaxconn": "1024"},
		Ulimits: map[string]Ulimit{"nofile": {1024, 4096}, "core": {0, 0}}, ShmSize: 1 << 30,
		Tmpfs: []string{"/tmp:size=64m"}, ReadOnly: true,
		Logging: &Logging{Driver: "json-file", Options: map[string]string{"max-size": "10m"}},
	}
	if !reflect.DeepEqual(web.Options, want) {
		t.Errorf("web options:\n got %+v\nwant %+v", web.Options, want)
	}
	if web.Healthcheck.SteadyInterval != time.Minute {
		t.Errorf("steady interval %v", web.Healthcheck.SteadyInterval)
	}
	if got := web.SecretEnv["DB_URL"].Value(); got != "postgres://u:p4ss@db/shop" || web.SecretEnv["TOKEN"].Value() != "tok-3141" {
		t.Errorf("secret env from the file: %q", got)
	}
	if _, plain := web.Env["DB_URL"]; plain {
		t.Error("a sensitive env_file value is in env")
	}
	if worker.Env["LOG_LEVEL"] != "debug" || worker.Options.Restart != "" {
		t.Errorf("worker: env %v, restart %q", worker.Env, worker.Options.Restart)
	}
	if !web.Depends("cache") || worker.Depends("cache") || worker.DependsOn == nil {
		t.Errorf("depends_on: web %v, worker %v", web.DependsOn, worker.DependsOn)
	}
	if hc := cfg.Accessories[0].Healthcheck; hc == nil || !reflect.DeepEqual(hc.Cmd, []string{"/app", "version"}) {
		t.Errorf("accessory healthcheck %+v", hc)
	}
	// The config hash covers the file: another secret, another hash.
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("DB_URL=other\nTOKEN=tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res2 := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if res2.Diags.HasErrors() || res2.Config.Hash == cfg.Hash {
		t.Errorf("the config hash ignores the env file: %v", res2.Diags)
	}
}

func TestEnvFileErrorsHideValues(t *testing.T) {
	dir := t.TempDir()
	cfg := strings.Replace(optionsConfig, `env_file   = { path = "plain.env", sensitive = false }`, "", 1)
	for n, s := range map[string]string{"berth.hcl": cfg, "app.env": "TOKEN=\"s3cret-value\\q\"\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if !res.Diags.HasErrors() {
		t.Fatal("a malformed env file loads")
	}
	if s := res.Diags.Error(); strings.Contains(s, "s3cret") || !strings.Contains(s, "line 1 (TOKEN)") {
		t.Errorf("diagnostic %q", s)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"128m": 128 << 20, "1g": 1 << 30, "512MiB": 512 << 20, "1.5g": 3 << 29, "100": 100, "2kb": 2048} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "1x", "-1m", "1 g g"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
	if FormatSize(128<<20) != "128m" || FormatSize(1536) != "1536b" {
		t.Errorf("FormatSize: %s %s", FormatSize(128<<20), FormatSize(1536))
	}
}
