//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dayTwoConfig is a service without host ports (so it runs beside the
// other tests' services): web on h1 and h2 with a health check on port
// 8090 inside the container, worker on h2, and extra blocks.
func dayTwoConfig(l *LabEnv, service, version, extra string) string {
	return fmt.Sprintf(`
service %q {
  image = "%s/app"
}
%s
%s
role "web" {
  primary = true
  hosts   = [host.h1, host.h2]
  cmd     = ["/app", "serve"]
  env     = { PORT = "8090" }
  healthcheck {
    cmd      = ["/app", "check"]
    interval = "1s"
    deadline = "15s"
  }
}
%s
`, service, Registry, l.RegistryBlock(), l.HostBlocks("h1", "h2", "h3"), extra) + deployBlock(version, 3)
}

const workerRole = `
role "worker" {
  hosts = [host.h2]
  cmd   = ["/app", "work"]
}
`

func deployBlock(version string, retain int) string {
	return fmt.Sprintf(`
deploy {
  version         = %q
  retain          = %d
  readiness_delay = "1s"
  stop_timeout    = "2s"
}
`, version, retain)
}

// writeFile replaces main.hcl in dir.
func writeFile(t *testing.T, dir, hcl string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustBerth(t *testing.T, l *LabEnv, dir string, args ...string) Result {
	t.Helper()
	r := l.Berth(t, dir, args...)
	if r.Code != 0 {
		t.Fatalf("berth %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// statusRow is one container of `berth status --json`.
type statusRow struct {
	Host, Role, Accessory, Container, ID, Version, State, Mark string
	Reasons                                                    []string
}

func status(t *testing.T, l *LabEnv, dir string) []statusRow {
	t.Helper()
	r := mustBerth(t, l, dir, "status", "--json")
	var doc struct {
		FormatVersion string      `json:"format_version"`
		Containers    []statusRow `json:"containers"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	if doc.FormatVersion == "" {
		t.Errorf("status --json has no format_version")
	}
	return doc.Containers
}

// byName finds the rows of a container name prefix on a host.
func rowsOf(rows []statusRow, host, what string) []statusRow {
	var out []statusRow
	for _, r := range rows {
		w := r.Role
		if r.Accessory != "" {
			w = "accessory." + r.Accessory
		}
		if r.Host == host && w == what {
			out = append(out, r)
		}
	}
	return out
}

// containerIDs maps container name to ID for a service on host.
func containerIDs(t *testing.T, l *LabEnv, host, service string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range l.Containers(t, host, service) {
		out[c.Name] = c.ID + " " + c.State
	}
	return out
}

func TestDayTwoStatusDriftAndUnclaimed(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2status")
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", workerRole))
	mustBerth(t, l, dir, "apply", "--auto-approve")

	rows := status(t, l, dir)
	if len(rows) != 3 {
		t.Fatalf("status after apply: %d rows, want 3 (h1/web, h2/web, h2/worker): %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.State != "running" || r.Mark != "" || r.Version != "v1" {
			t.Errorf("after apply: %+v, want running v1 without a mark", r)
		}
	}
	human := mustBerth(t, l, dir, "status")
	if !strings.Contains(human.Stdout, "Every host runs what the configuration says (version v1).") ||
		!regexp.MustCompile(`(?m)^h2\s+worker\s+v1\s+`+svc+`-worker-v1\s+running\s+-\s+\d+[smh]\s+sha256:[0-9a-f]{12}\s+-$`).MatchString(human.Stdout) {
		t.Errorf("status table:\n%s", human.Stdout)
	}

	// A container killed by hand is drift.
	l.MustSSH(t, "h2", "docker kill "+svc+"-web-v1 >/dev/null")
	rows = status(t, l, dir)
	web2 := rowsOf(rows, "h2", "web")
	if len(web2) != 1 || web2[0].Mark != "DRIFT" || web2[0].State != "exited" || !strings.Contains(strings.Join(web2[0].Reasons, ";"), "not running") {
		t.Errorf("h2/web after kill: %+v", web2)
	}
	if w1 := rowsOf(rows, "h1", "web"); len(w1) != 1 || w1[0].Mark != "" {
		t.Errorf("h1/web after a kill on h2: %+v", w1)
	}
	human = l.Berth(t, dir, "status")
	if human.Code != 0 || !strings.Contains(human.Stdout, "DRIFT h2/"+svc+"-web-v1: not running") || !strings.Contains(human.Stdout, "1 drifted, 0 unclaimed") {
		t.Errorf("status after kill: %s", human)
	}

	// A role removed from the configuration leaves an unclaimed container.
	writeFile(t, dir, dayTwoConfig(l, svc, "v1", ""))
	rows = status(t, l, dir)
	wk := rowsOf(rows, "h2", "worker")
	if len(wk) != 1 || wk[0].Mark != "UNCLAIMED" || wk[0].State != "running" ||
		!strings.Contains(strings.Join(wk[0].Reasons, ";"), "role worker is no longer in the configuration") {
		t.Errorf("worker after its role left the configuration: %+v", wk)
	}
	human = l.Berth(t, dir, "status")
	if !strings.Contains(human.Stdout, "UNCLAIMED h2/"+svc+"-worker-v1: role worker is no longer in the configuration") {
		t.Errorf("status after the role left: %s", human)
	}
}

// stopRegistry stops the lab's registry until the test ends, when the lab
// brings it up again.
func stopRegistry(t *testing.T, l *LabEnv) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd := exec.Command("bash", "test/lab/lab.sh", "up", strconv.Itoa(l.Size))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "BERTH_LAB_DIR="+l.Dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("bringing the registry back: %v\n%s", err, out)
		}
	})
	b, err := os.ReadFile(filepath.Join(l.Dir, "registry", "registry.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) != "docker-registry" {
		t.Fatalf("pid %d of registry.pid is %q, not docker-registry", pid, comm)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	Eventually(t, 10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", Registry, time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("the registry still answers")
		}
		return nil
	})
}

func TestDayTwoRollbackWithoutRegistry(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2rollback")
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", workerRole))
	mustBerth(t, l, dir, "apply", "--auto-approve")
	v1 := map[string]string{}
	for _, h := range []string{"h1", "h2"} {
		for name, id := range containerIDs(t, l, h, svc) {
			v1[h+"/"+name] = strings.Fields(id)[0]
		}
	}
	writeFile(t, dir, dayTwoConfig(l, svc, "v2", workerRole))
	mustBerth(t, l, dir, "apply", "--auto-approve")

	list := mustBerth(t, l, dir, "rollback", "--list")
	if !regexp.MustCompile(`(?m)^h1\s+web\s+v1\s+` + svc + `-web-v1\s+exited`).MatchString(list.Stdout) {
		t.Errorf("rollback --list:\n%s", list.Stdout)
	}

	stopRegistry(t, l)
	start := time.Now()
	r := l.Berth(t, dir, "rollback", "v1", "--auto-approve")
	if r.Code != 0 {
		t.Fatalf("rollback v1 without the registry: %s", r)
	}
	t.Logf("rollback v2 -> v1 on 3 (host, role) without the registry: %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(r.Stdout, "barrier open") || !strings.Contains(r.Stdout, "Rollback complete") {
		t.Errorf("rollback output lacks the barrier or the summary:\n%s", r.Stdout)
	}
	// The retained v1 containers run again (no new container, no pull); v2 is kept stopped.
	for _, h := range []string{"h1", "h2"} {
		for _, c := range l.Containers(t, h, svc) {
			switch c.Labels["berth.version"] {
			case "v1":
				if c.State != "running" || v1[h+"/"+c.Name] != c.ID {
					t.Errorf("%s %s: %s %s, want the original v1 container %s running", h, c.Name, c.State, c.ID, v1[h+"/"+c.Name])
				}
			case "v2":
				if c.State != "exited" {
					t.Errorf("%s %s: %s, want stopped (retained)", h, c.Name, c.State)
				}
			}
		}
	}
	audit := mustBerth(t, l, dir, "audit", "--json")
	if !strings.Contains(audit.Stdout, `"rollback"`) {
		t.Errorf("audit log has no rollback entry:\n%s", audit.Stdout)
	}
}

func TestDayTwoRollbackRefusesAPrunedVersion(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2pruned")
	dir := l.WriteConfig(t, "")
	for _, v := range []string{"v1", "v2", "v3"} {
		writeFile(t, dir, strings.Replace(dayTwoConfig(l, svc, v, ""), "retain          = 3", "retain          = 1", 1))
		mustBerth(t, l, dir, "apply", "--auto-approve")
	}
	before := containerIDs(t, l, "h1", svc)
	r := l.Berth(t, dir, "rollback", "v1", "--auto-approve")
	if r.Code != 1 {
		t.Fatalf("rollback to a pruned version: %s", r)
	}
	for _, want := range []string{"cannot roll back to v1; nothing was changed", "version v1 is not retained on h1 (web): retained there: v2, v3", "version v1 is not retained on h2 (web): retained there: v2, v3"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	if after := containerIDs(t, l, "h1", svc); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused rollback changed h1: %v -> %v", before, after)
	}
	// v2 is still retained: rolling back to it works.
	mustBerth(t, l, dir, "rollback", "v2", "--auto-approve")
}

func TestDayTwoDestroyOnlyBerths(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2destroy")
	acc := fmt.Sprintf(`
accessory "cache" {
  image   = "%s/cache:7"
  host    = host.h1
  volumes = ["%s-data:/data"]
}
`, Registry, svc)
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", acc))
	mustBerth(t, l, dir, "apply", "--auto-approve")

	// Containers a person started: one with no berth label, one that
	// borrows a berth label of another service.
	person := UniqueName("byhand")
	other := UniqueName("otherservice")
	t.Cleanup(func() {
		l.Cleanup(t, svc) // the accessory holds the volume
		l.SSH(t, "h1", "docker rm -f "+person+" "+other+" >/dev/null 2>&1; docker volume rm "+svc+"-data >/dev/null 2>&1")
	})
	var img string // the image berth pulled (by digest)
	for _, c := range l.Containers(t, "h1", svc) {
		if c.Labels["berth.role"] == "web" {
			img = c.Image
		}
	}
	l.MustSSH(t, "h1", fmt.Sprintf("docker run -d --name %s %s /app work >/dev/null && docker run -d --name %s --label berth.service=%s --label berth.role=web %s /app work >/dev/null",
		person, img, other, other, img))

	plan := filepath.Join(t.TempDir(), "destroy.plan")
	r := mustBerth(t, l, dir, "destroy", "--out", plan)
	if !strings.Contains(r.Stdout, "Plan: 0 to create, 0 to replace, 2 to remove, 0 unchanged.") || strings.Contains(r.Stdout, "accessory.cache") {
		t.Errorf("destroy plan:\n%s", r.Stdout)
	}
	mustBerth(t, l, dir, "apply", plan)
	for _, h := range []string{"h1", "h2"} {
		for _, c := range l.Containers(t, h, svc) {
			if c.Labels["berth.accessory"] != "cache" {
				t.Errorf("%s: %s survived the destroy", h, c.Name)
			}
		}
	}
	if cs := l.Containers(t, "h1", svc); len(cs) != 1 || cs[0].State != "running" {
		t.Errorf("the accessory should be kept without --include-accessories: %+v", cs)
	}
	for _, name := range []string{person, other} {
		if st := strings.TrimSpace(l.MustSSH(t, "h1", "docker inspect -f '{{.State.Status}}' "+name)); st != "running" {
			t.Errorf("%s (started by hand) is %s after destroy", name, st)
		}
	}

	r = mustBerth(t, l, dir, "destroy", "--include-accessories", "--auto-approve")
	if !strings.Contains(r.Stdout, "Kept the volumes on h1: "+svc+"-data") {
		t.Errorf("destroy --include-accessories:\n%s", r.Stdout)
	}
	if cs := l.Containers(t, "h1", svc); len(cs) != 0 {
		t.Errorf("after destroy --include-accessories: %+v", cs)
	}
	if out := l.MustSSH(t, "h1", "docker volume ls -q"); !strings.Contains(out, svc+"-data") {
		t.Errorf("the accessory's named volume is gone:\n%s", out)
	}
	if st := strings.TrimSpace(l.MustSSH(t, "h1", "docker inspect -f '{{.State.Status}}' "+person)); st != "running" {
		t.Errorf("%s (started by hand) is %s after destroy --include-accessories", person, st)
	}
}

func TestDayTwoAccessoryLeftAloneByAppDeploys(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2acc")
	acc := func(env string) string {
		return fmt.Sprintf(`
accessory "cache" {
  image = "%s/cache:7"
  host  = host.h2
  env   = { MODE = %q }
}
`, Registry, env)
	}
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", acc("a")))
	mustBerth(t, l, dir, "apply", "--auto-approve")
	cacheID := func() string {
		t.Helper()
		for _, c := range l.Containers(t, "h2", svc) {
			if c.Labels["berth.accessory"] == "cache" && c.State == "running" {
				return c.ID
			}
		}
		t.Fatal("no running cache container on h2")
		return ""
	}
	first := cacheID()
	for _, v := range []string{"v2", "v3", "v1"} {
		writeFile(t, dir, dayTwoConfig(l, svc, v, acc("a")))
		r := mustBerth(t, l, dir, "apply", "--auto-approve")
		if strings.Contains(r.Stdout, "h2/accessory.cache  ") && strings.Contains(r.Stdout, "accessory.cache  (replace") {
			t.Errorf("deploy of %s touches the accessory:\n%s", v, r.Stdout)
		}
		if id := cacheID(); id != first {
			t.Fatalf("deploy of %s replaced the accessory: %s -> %s", v, first, id)
		}
	}
	writeFile(t, dir, dayTwoConfig(l, svc, "v1", acc("b")))
	plan := mustBerth(t, l, dir, "plan")
	if !strings.Contains(plan.Stdout, "h2/accessory.cache: the accessory's own configuration changed") || !strings.Contains(plan.Stdout, "env.MODE") {
		t.Errorf("plan after the accessory's env changed:\n%s", plan.Stdout)
	}
	mustBerth(t, l, dir, "apply", "--auto-approve")
	if id := cacheID(); id == first {
		t.Errorf("the accessory was not replaced after its own configuration changed")
	}
}

func TestDayTwoLogsFollowAllHosts(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2logs")
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", `
role "worker" {
  hosts = [host.h1, host.h2]
  cmd   = ["/app", "work"]
}
`))
	mustBerth(t, l, dir, "apply", "--auto-approve")

	r := mustBerth(t, l, dir, "logs", "worker", "--lines", "2")
	for _, h := range []string{"h1", "h2"} {
		if !strings.Contains(r.Stdout, h+" "+svc+"-worker-v1 | ") {
			t.Errorf("logs lacks %s:\n%s", h, r.Stdout)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, BerthPath(t), "logs", "worker", "-f", "--lines", "1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REGISTRY_PASSWORD="+l.RegistryPassword)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Each host's tick numbers must advance while the command runs: the
	// lines arrive as they are written, from both hosts.
	tick := regexp.MustCompile(`^(h[12]) ` + svc + `-worker-v1 \| .*tick (\d+)$`)
	first, advanced := map[string]int{}, map[string]bool{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for len(advanced) < 2 && time.Now().Before(deadline) && sc.Scan() {
		m := tick.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Errorf("unexpected line %q", sc.Text())
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if f, ok := first[m[1]]; !ok {
			first[m[1]] = n
		} else if n > f {
			advanced[m[1]] = true
		}
	}
	if len(advanced) < 2 {
		t.Errorf("lines did not arrive from both hosts as written: first %v, advanced %v", first, advanced)
	}
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	go func() { _, _ = bufio.NewReader(out).WriteTo(discard{}) }()
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("logs -f after Ctrl-C: %v (exit %d), want exit 130", err, code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("logs -f took %s to stop after Ctrl-C", d)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestDayTwoExec(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2exec")
	// The port is a secret: the one-off container's check names it, which
	// shows that secret_env reaches the container.
	cfg := strings.Replace(dayTwoConfig(l, svc, "v1", ""), `env     = { PORT = "8090" }`, `secret_env = { PORT = env("D2_PORT") }`, 1)
	dir := l.WriteConfig(t, cfg)
	env := map[string]string{"D2_PORT": "8097"}
	if r := l.BerthEnv(t, dir, env, "apply", "--auto-approve"); r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}

	// In the running container the check passes: exit 0.
	r := l.BerthEnv(t, dir, env, "exec", "web", "--reuse", "--primary", "--", "/app", "check")
	if r.Code != 0 {
		t.Errorf("exec --reuse /app check: %s", r)
	}
	// In a one-off container nothing serves: the check fails, exit 1, on
	// the secret port.
	r = l.BerthEnv(t, dir, env, "exec", "web", "--host", "h2", "--", "/app", "check")
	if r.Code != 1 || !strings.Contains(r.Stderr+r.Stdout, "127.0.0.1:8097") {
		t.Errorf("exec one-off /app check: %s", r)
	}
	// Every host, output passed through.
	r = l.BerthEnv(t, dir, env, "exec", "web", "--", "/app", "version")
	if r.Code != 0 || strings.Count(r.Stdout, "v1\n") != 2 || !strings.Contains(r.Stderr, "== h1") || !strings.Contains(r.Stderr, "== h2") {
		t.Errorf("exec on every host: %s", r)
	}
	// One-off containers are gone afterwards, and never part of the service.
	for _, h := range []string{"h1", "h2"} {
		if cs := l.ContainersByLabel(t, h, "berth.oneoff="+svc); len(cs) != 0 {
			t.Errorf("%s: one-off containers left: %+v", h, cs)
		}
	}
	if p := l.BerthEnv(t, dir, env, "plan", "--detailed-exitcode"); p.Code != 0 {
		t.Errorf("plan after exec: %s", p)
	}
}

func TestDayTwoPrune(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "d2prune")
	dir := l.WriteConfig(t, "")
	for _, v := range []string{"v1", "v2", "v3"} {
		writeFile(t, dir, dayTwoConfig(l, svc, v, ""))
		mustBerth(t, l, dir, "apply", "--auto-approve")
	}
	writeFile(t, dir, strings.Replace(dayTwoConfig(l, svc, "v3", ""), "retain          = 3", "retain          = 1", 1))
	dry := mustBerth(t, l, dir, "prune", "--dry-run", "--containers")
	if !strings.Contains(dry.Stdout, "Would remove on h1: 1 container(s): "+svc+"-web-v1") {
		t.Errorf("prune --dry-run:\n%s", dry.Stdout)
	}
	if len(l.Containers(t, "h1", svc)) != 3 {
		t.Errorf("a dry run removed something")
	}
	r := mustBerth(t, l, dir, "prune")
	if !strings.Contains(r.Stdout, "Removed on h2: 1 container(s): "+svc+"-web-v1") {
		t.Errorf("prune:\n%s", r.Stdout)
	}
	for _, h := range []string{"h1", "h2"} {
		got := map[string]string{}
		for _, c := range l.Containers(t, h, svc) {
			got[c.Labels["berth.version"]] = c.State
		}
		if fmt.Sprint(got) != "map[v2:exited v3:running]" {
			t.Errorf("%s after prune: %v, want v2 retained and v3 running", h, got)
		}
	}
}

func TestDayTwoImagePlansAgainstTheLab(t *testing.T) {
	l := Lab(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	image := "berth-e2e:" + UniqueName("t")[2:]
	sock := filepath.Join(l.Dir, "build", "docker.sock")
	docker := func(args ...string) *exec.Cmd {
		return exec.Command("docker", append([]string{"-H", "unix://" + sock}, args...)...)
	}
	build := exec.Command("make", "image", "IMAGE="+image, "LAB_DIR="+l.Dir)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = docker("rmi", "-f", image).Run() })

	svc := l.Service(t, "d2image")
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", ""))
	run := docker("run", "--rm", "--network", "host", "-e", "REGISTRY_PASSWORD",
		"-v", dir+":/work:ro", "-v", filepath.Join(l.Dir, "client")+":"+filepath.Join(l.Dir, "client")+":ro",
		image, "plan", "--no-color")
	run.Env = append(os.Environ(), "REGISTRY_PASSWORD="+l.RegistryPassword)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("berth plan from the image: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Plan: 2 to create, 0 to replace, 0 to remove, 0 unchanged.") {
		t.Errorf("berth plan from the image:\n%s", out)
	}
	if strings.Contains(string(out), l.RegistryPassword) {
		t.Errorf("the registry password appears in the output")
	}
	inspect, err := docker("image", "inspect", "-f", "{{.Config.Entrypoint}}", image).Output()
	if err != nil || strings.TrimSpace(string(inspect)) != "[/usr/local/bin/berth]" {
		t.Errorf("image entrypoint: %q %v", inspect, err)
	}
}
