//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// optionsConfig is a web role on h1 with container options, extra is
// added to the role's body.
func optionsConfig(l *LabEnv, service, extra string) string {
	return fmt.Sprintf(`
service %q {
  image = "%s/app"
}
%s
%s
role "web" {
  primary  = true
  hosts    = [host.h1]
  cmd      = ["/app", "serve"]
  env_file = "app.env"
  healthcheck {
    cmd      = ["/app", "check"]
    deadline = "15s"
  }
  %s
}
deploy {
  version      = "v1"
  stop_timeout = "5s"
}
`, service, Registry, l.RegistryBlock(), l.HostBlocks("h1"), extra)
}

// inspect runs docker inspect -f format on host.
func inspect(t *testing.T, l *LabEnv, host, name, format string) string {
	t.Helper()
	return strings.TrimSpace(l.MustSSH(t, host, fmt.Sprintf("docker inspect -f %s %s", shellQuote(format), shellQuote(name))))
}

func writeEnvFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The options reach Docker, Docker's health check runs at its steady
// interval, env_file secrets reach the container and nothing else, and
// changing an option plans a replace that names it.
func TestContainerOptionsReachDocker(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "opts")
	const secret = "env-file-secret-5821"
	opts := `memory = "128m"
  restart = "on-failure:3"
  init    = true
  ulimits = { nofile = "1024:2048" }`
	dir := l.WriteConfig(t, optionsConfig(l, svc, opts))
	writeEnvFile(t, dir, "app.env", "API_TOKEN="+secret+"\n")
	r := l.Berth(t, dir, "plan")
	if r.Code != 0 || strings.Contains(r.Stdout+r.Stderr, secret) {
		t.Fatalf("plan shows the env_file secret or failed: %s", r)
	}
	r = mustApply(t, l, dir)
	if strings.Contains(r.Stdout+r.Stderr, secret) {
		t.Errorf("apply output shows the env_file secret:\n%s", r)
	}
	name := svc + "-web-v1"
	got := inspect(t, l, "h1", name, "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.HostConfig.Init}} {{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}} {{.Config.Healthcheck.Interval}}")
	if want := "134217728 on-failure 3 true nofile=1024:2048 30s"; got != want {
		t.Errorf("docker inspect: %q, want %q", got, want)
	}
	if env := inspect(t, l, "h1", name, "{{json .Config.Env}}"); !strings.Contains(env, "API_TOKEN="+secret) {
		t.Errorf("the env_file variable is not in the container: %s", env)
	}
	if labels := inspect(t, l, "h1", name, "{{json .Config.Labels}}"); strings.Contains(labels, secret) {
		t.Errorf("a label carries the env_file secret: %s", labels)
	}
	mustBeConverged(t, l, dir)

	for _, tc := range []struct{ old, new, field string }{
		{`memory = "128m"`, `memory = "256m"`, "memory"},
		{`restart = "on-failure:3"`, `restart = "always"`, "restart"},
	} {
		changed := l.WriteConfig(t, optionsConfig(l, svc, strings.Replace(opts, tc.old, tc.new, 1)))
		writeEnvFile(t, changed, "app.env", "API_TOKEN="+secret+"\n")
		r := l.Berth(t, changed, "plan", "--detailed-exitcode")
		t.Logf("%s changed:\n%s", tc.field, r.Stdout)
		if r.Code != 2 || !strings.Contains(r.Stdout, "replace") || !regexp.MustCompile(`\b`+tc.field+`\b`).MatchString(r.Stdout) {
			t.Errorf("%s changed: want a replace naming it: %s", tc.field, r)
		}
	}
	// A changed env_file secret is a change too, shown masked.
	writeEnvFile(t, dir, "app.env", "API_TOKEN=another-"+secret+"\n")
	r = l.Berth(t, dir, "plan", "--detailed-exitcode")
	if r.Code != 2 || !strings.Contains(r.Stdout, "API_TOKEN") || strings.Contains(r.Stdout, secret) {
		t.Errorf("a changed env_file secret: %s", r)
	}
}

// accessoryConfig is a cache accessory on h2 with a health check, web on
// h1 and a worker on h3 that depends on it.
func accessoryConfig(l *LabEnv, service, check string) string {
	return fmt.Sprintf(`
service %q {
  image = "%s/app"
}
%s
%s
role "web" {
  primary = true
  hosts   = [host.h1]
  cmd     = ["/app", "serve"]
  healthcheck {
    cmd      = ["/app", "check"]
    deadline = "15s"
  }
}
role "worker" {
  hosts      = [host.h3]
  cmd        = ["/app", "work"]
  depends_on = [accessory.cache]
}
accessory "cache" {
  image = "%s/cache:7"
  host  = host.h2
  healthcheck {
    cmd      = %s
    deadline = "6s"
  }
}
deploy {
  version         = "v1"
  readiness_delay = "1s"
  stop_timeout    = "5s"
}
`, service, Registry, l.RegistryBlock(), l.HostBlocks("h1", "h2", "h3"), Registry, check)
}

// lineIndex is the index of the first progress line matching re, -1 if none.
func lineIndex(out string, re string) int {
	rx := regexp.MustCompile(re)
	for i, line := range Lines(out) {
		if rx.MatchString(line) {
			return i
		}
	}
	return -1
}

// On a first apply the roles start only once the cache accessory passed
// its own health check.
func TestRolesStartAfterTheAccessoryIsHealthy(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "accdep")
	dir := l.WriteConfig(t, accessoryConfig(l, svc, `["/app", "version"]`))
	r := mustApply(t, l, dir)
	healthy := lineIndex(r.Stdout, `h2/accessory\.cache\s+health\s+done`)
	webStart := lineIndex(r.Stdout, `h1/web\s+start\s+`)
	workerStart := lineIndex(r.Stdout, `h3/worker\s+start\s+`)
	if healthy < 0 || webStart < 0 || workerStart < 0 || webStart < healthy || workerStart < healthy {
		t.Fatalf("a role started before the cache was healthy (health %d, web start %d, worker start %d):\n%s", healthy, webStart, workerStart, r.Stdout)
	}
	if hc := inspect(t, l, "h2", svc+"-cache", "{{json .Config.Healthcheck.Test}}"); hc != `["CMD","/app","version"]` {
		t.Errorf("the cache's health check: %s", hc)
	}
	mustBeConverged(t, l, dir)
}

// A cache that never turns healthy fails the apply, and no role that
// depends on it starts.
func TestUnhealthyAccessoryHoldsTheRolesBack(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "accbad")
	t0 := time.Now()
	// The cache speaks no HTTP: /app check never passes against it.
	dir := l.WriteConfig(t, accessoryConfig(l, svc, `["/app", "check"]`))
	r := l.Berth(t, dir, "apply", "--auto-approve")
	t.Logf("apply:\n%s", r)
	if r.Code != 1 || !strings.Contains(r.Stderr, "accessory.cache") {
		t.Fatalf("want exit 1 naming the cache: %s", r)
	}
	for _, h := range []string{"h1", "h3"} {
		if started := startedSince(t, l, h, svc, t0); len(started) > 0 {
			t.Errorf("%s started %v although the cache never turned healthy", h, started)
		}
	}
	for h, role := range map[string]string{"h1": "web", "h3": "worker"} {
		if got := running(t, l, h, svc, role); len(got) > 0 {
			t.Errorf("%s runs %s %v", h, role, got)
		}
	}
}

// A proxied role's own health check runs before the proxy switch: a check
// that fails (while the proxy's GET /up would pass) closes the barrier, the
// route stays on the old container and no request fails.
func TestProxiedOwnHealthCheckClosesTheBarrier(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxown")
	h1, h2 := addrs(t, l)
	mustApply(t, l, l.WriteConfig(t, proxiedConfig(l, svc, "v1", true)))
	mustServeOn(t, "v1", h1, h2)

	cfg := proxiedConfig(l, svc, "v2", true)
	cfg = strings.Replace(cfg, `cmd      = ["/app", "check"]`, `cmd      = ["/app", "no-such-check"]`, 1)
	cfg = strings.Replace(cfg, `deadline = "15s"`, `deadline = "4s"`, 1)
	bad := l.WriteConfig(t, cfg)
	t0 := time.Now()
	r, seen := applyUnderLoad(t, l, bad, h1, h2)
	mustCloseTheBarrierUnderLoad(t, r, seen, svc+"-web-v2", "no-such-check")
	for _, h := range []string{"h1", "h2"} {
		if got := running(t, l, h, svc, "web"); !slices.Equal(got, []string{"v1"}) {
			t.Errorf("%s web runs %v", h, got)
		}
	}
	for _, name := range startedSince(t, l, "h2", svc, t0) {
		if strings.HasSuffix(name, "-v2") {
			t.Errorf("h2 started %s behind a closed barrier", name)
		}
	}
}
