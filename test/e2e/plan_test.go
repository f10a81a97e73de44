//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// planLab is one plan test's service on the lab: web on the first two hosts
// (the first is primary), worker on the last host.
type planLab struct {
	l        *LabEnv
	service  string
	port     int
	web      []string
	worker   string
	extraHCL string // appended to the configuration
	env      map[string]string
}

func newPlanLab(t *testing.T, prefix string) *planLab {
	t.Helper()
	l := Lab(t)
	if len(l.Hosts) < 3 {
		t.Skipf("the plan tests need 3 lab hosts, the lab has %d", len(l.Hosts))
	}
	n, err := rand.Int(rand.Reader, big.NewInt(20000))
	if err != nil {
		t.Fatal(err)
	}
	return &planLab{
		l: l, service: l.Service(t, prefix), port: 20000 + int(n.Int64()),
		web: []string{l.Hosts[0].Name, l.Hosts[1].Name}, worker: l.Hosts[len(l.Hosts)-1].Name,
		env: map[string]string{},
	}
}

// config is the HCL of the service; roles lists the roles to declare.
func (s *planLab) config(roles ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %q {\n  image = \"%s/app\"\n}\n", s.service, Registry)
	b.WriteString("variable \"version\" {\n  default = \"v1\"\n}\n")
	b.WriteString("variable \"log_level\" {\n  default = \"info\"\n}\n")
	b.WriteString(s.l.RegistryBlock())
	b.WriteString(strings.Replace(s.l.SSHBlock(), "}", "  connect_timeout = \"3s\"\n}", 1))
	b.WriteString(s.l.HostBlocks())
	for _, r := range roles {
		switch r {
		case "web":
			fmt.Fprintf(&b, `role "web" {
  primary = true
  hosts   = [host.%s, host.%s]
  cmd     = ["/app", "serve"]
  ports   = ["%d:8080"]
  env     = { LOG_LEVEL = var.log_level }
  healthcheck {
    cmd      = ["/app", "check"]
    interval = "1s"
    deadline = "20s"
  }
}
`, s.web[0], s.web[1], s.port)
		case "worker":
			fmt.Fprintf(&b, "role \"worker\" {\n  hosts = [host.%s]\n  cmd   = [\"/app\", \"work\"]\n}\n", s.worker)
		}
	}
	b.WriteString("deploy {\n  version = var.version\n  stop_timeout = \"2s\"\n}\n")
	b.WriteString(s.extraHCL)
	return b.String()
}

func (s *planLab) write(t *testing.T, roles ...string) string {
	t.Helper()
	return s.l.WriteConfig(t, s.config(roles...))
}

func (s *planLab) berth(t *testing.T, dir string, args ...string) Result {
	t.Helper()
	start := time.Now()
	r := s.l.BerthEnv(t, dir, s.env, args...)
	t.Logf("berth %s: exit %d in %s", strings.Join(args, " "), r.Code, time.Since(start).Round(time.Millisecond))
	return r
}

// load decodes the configuration in dir exactly as berth does.
func (s *planLab) load(t *testing.T, dir string, vars ...string) *lang.Config {
	t.Helper()
	environ := append(os.Environ(), "REGISTRY_PASSWORD="+s.l.RegistryPassword)
	for k, v := range s.env {
		environ = append(environ, k+"="+v)
	}
	res := lang.Load(context.Background(), lang.Options{Dir: dir, Vars: vars, Environ: environ})
	if res.Diags.HasErrors() || res.Config == nil {
		t.Fatalf("load %s: %v", dir, res.Diags)
	}
	return res.Config
}

// registryDigest pulls image on host with docker itself and returns the
// manifest digest docker recorded: the reference the planner must agree with.
func (s *planLab) registryDigest(t *testing.T, host, image string) string {
	t.Helper()
	s.l.Pull(t, host, image)
	out := s.l.MustSSH(t, host, "docker image inspect --format '{{json .RepoDigests}}' "+shellQuote(image))
	var digests []string
	if err := json.Unmarshal([]byte(out), &digests); err != nil || len(digests) == 0 {
		t.Fatalf("repo digests of %s on %s: %q %v", image, host, out, err)
	}
	_, d, _ := strings.Cut(digests[0], "@")
	return d
}

// startAsBerth starts, on every host of cfg's roles, the container berth
// would start (same name, labels, env, cmd, ports), with plain docker run:
// it tests the planner independently of the executor.
func (s *planLab) startAsBerth(t *testing.T, cfg *lang.Config) {
	t.Helper()
	digest := ""
	for i := range cfg.Roles {
		r := &cfg.Roles[i]
		for _, h := range r.Hosts {
			if digest == "" {
				digest = s.registryDigest(t, h, planner.ServiceRef(cfg))
			} else {
				s.l.Pull(t, h, planner.ServiceRef(cfg))
			}
			spec := planner.Spec(cfg, r, h, digest)
			args := []string{"docker", "run", "-d", "--name", spec.Name, "--env-file", `"$f"`}
			for _, k := range sortedKeys(spec.Labels) {
				args = append(args, "--label", shellQuote(k+"="+spec.Labels[k]))
			}
			for _, k := range sortedKeys(spec.Env) {
				args = append(args, "-e", shellQuote(k+"="+spec.Env[k]))
			}
			for _, p := range spec.Ports {
				args = append(args, "-p", shellQuote(p.String()))
			}
			args = append(args, shellQuote(spec.Image))
			for _, a := range spec.Cmd {
				args = append(args, shellQuote(a))
			}
			var secrets strings.Builder
			for k, v := range r.SecretEnv {
				fmt.Fprintf(&secrets, "%s=%s\n", k, v.Value())
			}
			cmd := `set -e; umask 077; f=$(mktemp); trap 'rm -f "$f"' EXIT; cat > "$f"; ` + strings.Join(args, " ") + " >/dev/null"
			if _, err := s.l.SSHInput(t, h, cmd, secrets.String()+"\n"); err != nil {
				t.Fatalf("start %s on %s: %v", spec.Name, h, err)
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

func TestPlanEmptyHosts(t *testing.T) {
	s := newPlanLab(t, "plan-empty")
	dir := s.write(t, "web", "worker")
	r := s.berth(t, dir, "plan", "--detailed-exitcode", "--no-color", "--out", "plan.json")
	if r.Code != 2 {
		t.Fatalf("want exit 2 (changes): %s", r)
	}
	mustContain(t, "plan output", r.Stdout,
		"+ "+s.web[0]+"/web", "(create, primary)", "+ "+s.web[1]+"/web", "+ "+s.worker+"/worker",
		"barrier", "Plan: 3 to create, 0 to replace, 0 to remove, 0 unchanged.")
	p, err := planner.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	ref := Registry + "/app:v1"
	if want := s.registryDigest(t, s.web[0], ref); p.Images[ref] != want {
		t.Errorf("plan resolved %s to %q, docker pull says %q", ref, p.Images[ref], want)
	}
	if p.Changes[0].Desired == nil || p.Changes[0].Desired.Image != ref+"@"+p.Images[ref] {
		t.Errorf("desired image is not pinned by digest: %+v", p.Changes[0].Desired)
	}
	if len(p.Hosts) != len(s.l.Hosts) {
		t.Errorf("plan read %d hosts, the config declares %d", len(p.Hosts), len(s.l.Hosts))
	}
	if p.Changes[0].Address.Host != s.web[0] || !p.Changes[0].Primary {
		t.Errorf("the primary does not come first: %+v", p.Changes[0].Address)
	}
}

func TestPlanAgainstRunningV1(t *testing.T) {
	s := newPlanLab(t, "plan-v1")
	dir := s.write(t, "web", "worker")
	s.startAsBerth(t, s.load(t, dir))

	t.Run("same config is unchanged", func(t *testing.T) {
		r := s.berth(t, dir, "plan", "--detailed-exitcode", "--no-color")
		if r.Code != 0 {
			t.Fatalf("want exit 0 (no changes): %s", r)
		}
		mustContain(t, "plan output", r.Stdout, "No changes. The hosts match the configuration.")
	})

	t.Run("new version replaces", func(t *testing.T) {
		r := s.berth(t, dir, "plan", "--detailed-exitcode", "--no-color", "--var", "version=v2")
		if r.Code != 2 {
			t.Fatalf("want exit 2: %s", r)
		}
		mustContain(t, "plan output", r.Stdout,
			"~ "+s.web[0]+"/web", "version: v1 → v2", s.service+"-web-v1 → "+s.service+"-web-v2",
			"Plan: 0 to create, 3 to replace, 0 to remove, 0 unchanged.")
	})

	t.Run("changed env value with the same version replaces", func(t *testing.T) {
		r := s.berth(t, dir, "plan", "--detailed-exitcode", "--no-color", "--json", "--var", "log_level=debug")
		if r.Code != 2 {
			t.Fatalf("want exit 2: %s", r)
		}
		var doc struct {
			FormatVersion string `json:"format_version"`
			Changes       []planner.Change
			Summary       struct{ Replace, Unchanged int }
		}
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
			t.Fatalf("plan --json: %v\n%s", err, r.Stdout)
		}
		if doc.FormatVersion != "1.0" || doc.Summary.Replace != 2 || doc.Summary.Unchanged != 1 {
			t.Errorf("document: %+v", doc)
		}
		for _, c := range doc.Changes {
			if c.Address.Role != "web" {
				continue
			}
			if len(c.Reasons) != 1 || c.Reasons[0] != (planner.Reason{Field: "env.LOG_LEVEL", Old: "info", New: "debug"}) {
				t.Errorf("%s reasons = %+v", c.Address, c.Reasons)
			}
		}
	})

	t.Run("removed role is a remove", func(t *testing.T) {
		dir2 := s.write(t, "web")
		r := s.berth(t, dir2, "plan", "--detailed-exitcode", "--no-color")
		if r.Code != 2 {
			t.Fatalf("want exit 2: %s", r)
		}
		mustContain(t, "plan output", r.Stdout, "- "+s.worker+"/worker", "role: worker → (no longer in the configuration)",
			"Plan: 0 to create, 0 to replace, 1 to remove, 2 unchanged.")
	})

	t.Run("target warns that the plan may be partial", func(t *testing.T) {
		r := s.berth(t, dir, "plan", "--no-color", "--var", "version=v2", "--target", "worker")
		if r.Code != 0 {
			t.Fatalf("%s", r)
		}
		mustContain(t, "plan output", r.Stdout, "Warning: Targeting is in effect (--target worker)",
			"~ "+s.worker+"/worker", "Plan: 0 to create, 1 to replace, 0 to remove, 0 unchanged.")
		r = s.berth(t, dir, "plan", "--target", "wrokre")
		if r.Code != 1 || !strings.Contains(r.Stderr, "--target wrokre: names no host, role or accessory") {
			t.Errorf("unknown target: %s", r)
		}
	})

	t.Run("graph without a plan file plans first", func(t *testing.T) {
		r := s.berth(t, dir, "graph", "--format", "text", "--var", "version=v2")
		if r.Code != 0 {
			t.Fatalf("%s", r)
		}
		w0, w1 := s.web[0]+"/web", s.web[1]+"/web"
		mustContain(t, "graph", r.Stdout,
			"barrier <- "+w0+"/health\n",
			w0+"/stop_old <- "+w0+"/create\n", // the primary publishes a port: the old one goes first
			w1+"/stop_old <- "+w1+"/create, barrier\n",
			s.worker+"/worker/start <- "+s.worker+"/worker/create, barrier\n")
		lines := Lines(r.Stdout)
		if len(lines) == 0 || lines[0] != w0+"/pull" {
			t.Errorf("graph does not start with the primary: %q", lines)
		}
	})

	t.Run("stopped container is replaced", func(t *testing.T) {
		s.l.MustSSH(t, s.worker, "docker stop -t 1 "+shellQuote(s.service+"-worker-v1"))
		r := s.berth(t, dir, "plan", "--no-color")
		if r.Code != 0 {
			t.Fatalf("%s", r)
		}
		mustContain(t, "plan output", r.Stdout, "~ "+s.worker+"/worker", "state: exited → running")
	})
}

func TestPlanIgnoresOtherContainers(t *testing.T) {
	s := newPlanLab(t, "plan-foreign")
	dir := s.write(t, "web", "worker")
	s.l.Pull(t, s.worker, Registry+"/app:v1")
	name := UniqueName("not-berth")
	// Same role label, another tool's container: no berth.service label.
	s.l.MustSSH(t, s.worker, fmt.Sprintf("docker run -d --name %s --label berth.role=worker %s/app:v1 /app work >/dev/null", name, Registry))
	t.Cleanup(func() { s.l.SSH(t, s.worker, "docker rm -f "+name) })
	r := s.berth(t, dir, "plan", "--no-color", "--json")
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	if strings.Contains(r.Stdout, name) {
		t.Errorf("a container berth did not start is in the plan:\n%s", r.Stdout)
	}
}

func TestPlanHostUnreachable(t *testing.T) {
	s := newPlanLab(t, "plan-unreach")
	// 10.77.0.250 is on the lab bridge and nothing answers there.
	s.extraHCL = "host \"h250\" { address = \"10.77.0.250\" }\n"
	cfg := strings.Replace(s.config("web", "worker"), "hosts   = [host."+s.web[0]+", host."+s.web[1]+"]",
		"hosts   = [host."+s.web[0]+", host."+s.web[1]+", host.h250]", 1)
	dir := s.l.WriteConfig(t, cfg)
	start := time.Now()
	r := s.berth(t, dir, "plan", "--detailed-exitcode", "--out", "plan.json")
	if r.Code != 1 {
		t.Fatalf("want exit 1: %s", r)
	}
	mustContain(t, "stderr", r.Stderr, "h250", "10.77.0.250")
	if strings.Contains(r.Stderr, "goroutine") || strings.Contains(r.Stderr, "panic") {
		t.Errorf("stack trace on stderr:\n%s", r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "plan.json")); !os.IsNotExist(err) {
		t.Errorf("a plan file was written despite the error (stat: %v)", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "plan.json") {
			t.Errorf("partial plan file left: %s", e.Name())
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("an unreachable host took %s to report", d)
	}
}

func TestPlanKeepsSecretsOut(t *testing.T) {
	s := newPlanLab(t, "plan-secret")
	dbPassword := "db-" + randomHex(t)
	apiToken := "tok-" + randomHex(t)
	s.env["DB_PASSWORD"] = dbPassword
	s.env["BERTH_VAR_api_token"] = apiToken
	s.extraHCL = "variable \"api_token\" {\n  sensitive = true\n}\n"
	hcl := strings.Replace(s.config("web", "worker"), "  env     = { LOG_LEVEL = var.log_level }",
		"  env     = { LOG_LEVEL = var.log_level }\n  secret_env = { DB_PASSWORD = env(\"DB_PASSWORD\"), API_TOKEN = var.api_token }", 1)
	dir := s.l.WriteConfig(t, hcl)
	secrets := []string{dbPassword, apiToken, s.l.RegistryPassword}

	check := func(what, text string) {
		t.Helper()
		for _, v := range secrets {
			if strings.Contains(text, v) {
				t.Errorf("%s contains a secret value", what)
			}
		}
	}
	r := s.berth(t, dir, "plan", "--no-color", "--out", "plan.json")
	if r.Code != 0 {
		t.Fatalf("%s", r)
	}
	check("plan output", r.Stdout+r.Stderr)
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	check("plan file", string(b))
	mustContain(t, "plan file", string(b), `"secret_env"`, `"API_TOKEN":"sha256:`, `"name":"api_token"`) // compact JSON

	for _, args := range [][]string{{"plan", "--json"}, {"show", "plan.json"}, {"show", "--json", "plan.json"}, {"show", "--markdown", "plan.json"}, {"graph", "plan.json"}} {
		r := s.berth(t, dir, args...)
		if r.Code != 0 {
			t.Fatalf("berth %v: %s", args, r)
		}
		check("berth "+strings.Join(args, " "), r.Stdout+r.Stderr)
	}

	// A changed secret shows as changed, without either value.
	s.startAsBerth(t, s.load(t, dir))
	newPassword := "db2-" + randomHex(t)
	s.env["DB_PASSWORD"] = newPassword
	secrets = append(secrets, newPassword)
	r = s.berth(t, dir, "plan", "--no-color", "--detailed-exitcode")
	if r.Code != 2 {
		t.Fatalf("want exit 2: %s", r)
	}
	mustContain(t, "plan output", r.Stdout, "secret_env.DB_PASSWORD: (sensitive) changed")
	check("plan output after a secret change", r.Stdout+r.Stderr)
}

func randomHex(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// After berth apply, berth plan sees exactly what it asked for: the labels
// the executor puts on the containers round-trip through the live state.
func TestPlanAfterApplyHasNoChanges(t *testing.T) {
	s := newPlanLab(t, "plan-applied")
	dir := s.write(t, "web", "worker")
	if r := s.berth(t, dir, "apply", "--auto-approve", "--no-color"); r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	r := s.berth(t, dir, "plan", "--detailed-exitcode", "--no-color")
	if r.Code != 0 {
		t.Fatalf("want no changes after apply: %s", r)
	}
	mustContain(t, "plan output", r.Stdout, "Unchanged: "+s.web[0]+"/web, "+s.web[1]+"/web, "+s.worker+"/worker")

	r = s.berth(t, dir, "plan", "--detailed-exitcode", "--no-color", "--var", "log_level=warn")
	if r.Code != 2 {
		t.Fatalf("want exit 2: %s", r)
	}
	mustContain(t, "plan output", r.Stdout, "env.LOG_LEVEL: info → warn", "Plan: 0 to create, 2 to replace, 0 to remove, 1 unchanged.")
	if strings.Contains(r.Stdout, "config:") {
		t.Errorf("the planner could not diff field by field (no berth.spec label?):\n%s", r.Stdout)
	}
}

// BERTH_LOG=debug logs every dial and every Docker API call, and never a secret.
func TestPlanDebugLogsDialsAndDockerCalls(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "debuglog")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	r := l.BerthEnv(t, dir, map[string]string{"BERTH_LOG": "debug"}, "plan")
	if r.Code != 0 {
		t.Fatalf("plan: %s", r)
	}
	for _, want := range []string{`msg="ssh connected" host=h1`, `msg="docker api" host=h3 method=GET path=/containers/json`} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("debug log lacks %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stdout+r.Stderr, l.RegistryPassword) {
		t.Error("the registry password is in the output")
	}
}
