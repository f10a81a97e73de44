//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// appConfig is two roles on three hosts: web (primary; h1 and h2; port 80;
// a check given as a list) and worker (h3; no health check).
func appConfig(l *LabEnv, service, version, extra string) string {
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
  ports   = ["80:8080"]
  env     = { GREETING = "hello" }
  healthcheck {
    cmd      = ["/app", "check"]
    interval = "1s"
    deadline = "15s"
  }
}
role "worker" {
  hosts = [host.h3]
  cmd   = ["/app", "work"]
}
deploy {
  version         = %q
  readiness_delay = "1s"
  stop_timeout    = "5s"
}
%s
`, service, Registry, l.RegistryBlock(), l.HostBlocks("h1", "h2", "h3"), version, extra)
}

// serving returns what GET /up answers on a host's port 80.
func serving(addr string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/up")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET /up on %s: %s", addr, resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

// mustServe checks that the web role answers version on h1 and h2.
func mustServe(t *testing.T, l *LabEnv, version string) {
	t.Helper()
	for _, h := range []string{"h1", "h2"} {
		Eventually(t, 10*time.Second, func() error {
			got, err := serving(l.Host(t, h).Addr)
			if err != nil {
				return err
			}
			if !strings.Contains(got, version) {
				return fmt.Errorf("%s serves %q, want %s", h, got, version)
			}
			return nil
		})
	}
}

// running lists the versions of the running containers of a role on a host.
func running(t *testing.T, l *LabEnv, host, service, role string) []string {
	t.Helper()
	var out []string
	for _, c := range l.Containers(t, host, service) {
		if c.Labels["berth.role"] == role && c.State == "running" {
			out = append(out, c.Labels["berth.version"])
		}
	}
	return out
}

func mustApply(t *testing.T, l *LabEnv, dir string, args ...string) Result {
	t.Helper()
	r := l.Berth(t, dir, append([]string{"apply", "--auto-approve"}, args...)...)
	if r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	return r
}

// mustBeConverged checks that a plan right after an apply has no changes.
func mustBeConverged(t *testing.T, l *LabEnv, dir string) {
	t.Helper()
	if r := l.Berth(t, dir, "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Fatalf("plan after apply is not empty: %s", r)
	}
}

// startedSince lists the names of the containers of service that Docker
// started on host since t0, from the daemon's own event log.
func startedSince(t *testing.T, l *LabEnv, host, service string, t0 time.Time) []string {
	t.Helper()
	out := l.MustSSH(t, host, fmt.Sprintf(
		"docker events --since %d --until %d --filter label=berth.service=%s --filter event=start --format '{{.Actor.Attributes.name}}'",
		t0.Unix()-1, time.Now().Unix()+1, service))
	return Lines(out)
}

func TestApplyFreshThenRedeployConverges(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "fresh")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	r := mustApply(t, l, dir)
	if !strings.Contains(r.Stdout, "Apply complete") {
		t.Errorf("no completion line:\n%s", r.Stdout)
	}
	mustBeConverged(t, l, dir)
	mustServe(t, l, "v1")
	if got := running(t, l, "h3", svc, "worker"); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("h3 worker runs %v", got)
	}

	dir2 := l.WriteConfig(t, appConfig(l, svc, "v2", ""))
	r = mustApply(t, l, dir2)
	mustBeConverged(t, l, dir2)
	mustServe(t, l, "v2")
	for _, h := range []string{"h1", "h2"} {
		if got := running(t, l, h, svc, "web"); len(got) != 1 || got[0] != "v2" {
			t.Fatalf("%s web runs %v", h, got)
		}
	}
	// The worker, which has no health check, only cut over once the barrier
	// opened: its start comes after the primary's health step in the output.
	healthy := strings.Index(r.Stdout, "h1/web                       health    done")
	workerStart := strings.Index(r.Stdout, "h3/worker                    start     started")
	if healthy < 0 || workerStart < 0 || workerStart < healthy {
		t.Fatalf("worker started before the primary was healthy:\n%s", r.Stdout)
	}
	// The old containers are kept, stopped, for a fast rollback.
	var stopped int
	for _, c := range l.Containers(t, "h1", svc) {
		if c.Labels["berth.version"] == "v1" && c.State == "exited" {
			stopped++
		}
	}
	if stopped != 1 {
		t.Fatalf("h1 keeps %d stopped v1 containers, want 1", stopped)
	}
}

func TestApplyBadPrimaryImageClosesTheBarrier(t *testing.T) {
	for _, tag := range []string{"broken", "unhealthy"} {
		t.Run(tag, func(t *testing.T) {
			l := Lab(t)
			svc := l.Service(t, "bad-"+tag)
			mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
			t0 := time.Now()
			bad := l.WriteConfig(t, strings.Replace(appConfig(l, svc, tag, ""), `deadline = "15s"`, `deadline = "4s"`, 1))
			r := l.Berth(t, bad, "apply", "--auto-approve")
			if r.Code != 1 {
				t.Fatalf("want exit 1: %s", r)
			}
			for _, want := range []string{"barrier closed", "h1/web", svc + "-web-" + tag} {
				if !strings.Contains(r.Stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
				}
			}
			if tag == "broken" && !strings.Contains(r.Stderr, "exited") {
				t.Errorf("stderr does not say the container exited:\n%s", r.Stderr)
			}
			if tag == "unhealthy" && !strings.Contains(r.Stderr, "health check output") {
				t.Errorf("stderr lacks the health check output:\n%s", r.Stderr)
			}
			if !strings.Contains(r.Stderr, "last log lines") {
				t.Errorf("stderr lacks the container's logs:\n%s", r.Stderr)
			}
			// The previous version serves everywhere; nothing of the bad one exists.
			mustServe(t, l, "v1")
			for _, h := range []string{"h1", "h2", "h3"} {
				for _, c := range l.Containers(t, h, svc) {
					if c.Labels["berth.version"] == tag || strings.HasSuffix(c.Name, "-"+tag) {
						t.Errorf("%s keeps %s (%s)", h, c.Name, c.State)
					}
				}
			}
			if got := running(t, l, "h3", svc, "worker"); len(got) != 1 || got[0] != "v1" {
				t.Errorf("h3 worker runs %v, want v1", got)
			}
			// The bad build never ran on h2 or on the worker, not even briefly.
			for _, h := range []string{"h2", "h3"} {
				for _, name := range startedSince(t, l, h, svc, t0) {
					if strings.HasSuffix(name, "-"+tag) {
						t.Errorf("%s started %s behind a closed barrier", h, name)
					}
				}
			}
			// And the lock was released.
			if r := l.Berth(t, bad, "lock", "status"); r.Code != 0 || !strings.Contains(r.Stdout, "Unlocked") {
				t.Errorf("lock status: %s", r)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background is a berth run the test watches while it goes on.
type background struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	code           int
}

func startBerth(t *testing.T, l *LabEnv, dir string, args ...string) *background {
	t.Helper()
	b := &background{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	b.cmd = exec.Command(BerthPath(t), args...)
	b.cmd.Dir = dir
	b.cmd.Env = append(os.Environ(), "BERTH_LAB_DIR="+l.Dir, "REGISTRY_PASSWORD="+l.RegistryPassword)
	b.cmd.Stdout, b.cmd.Stderr = b.stdout, b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = b.cmd.Wait()
		b.code = b.cmd.ProcessState.ExitCode()
		close(b.done)
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			_ = b.cmd.Process.Kill()
			<-b.done
		}
	})
	return b
}

func (b *background) waitOutput(t *testing.T, substr string, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, func() error {
		if strings.Contains(b.stdout.String(), substr) {
			return nil
		}
		select {
		case <-b.done:
			t.Fatalf("berth exited (%d) before printing %q:\n%s\n%s", b.code, substr, b.stdout, b.stderr)
		default:
		}
		return fmt.Errorf("no %q yet in:\n%s", substr, b.stdout)
	})
}

func (b *background) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-b.done:
		return b.code
	case <-time.After(timeout):
		t.Fatalf("berth did not exit within %s:\n%s\n%s", timeout, b.stdout, b.stderr)
		return -1
	}
}

func TestApplyLockRefusesASecondApply(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "lock")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	// "slow" turns healthy only after a few seconds: the first apply holds
	// the lock meanwhile.
	first := startBerth(t, l, l.WriteConfig(t, appConfig(l, svc, "slow", "")), "apply", "--auto-approve", "-m", "first apply")
	first.waitOutput(t, "h1/web                       health    started", 60*time.Second)
	second := l.Berth(t, l.WriteConfig(t, appConfig(l, svc, "v2", "")), "apply", "--auto-approve")
	if second.Code != 1 || !strings.Contains(second.Stderr, "deploy lock is held") || !strings.Contains(second.Stderr, "first apply") {
		t.Fatalf("second apply was not refused by the lock: %s", second)
	}
	if code := first.wait(t, 90*time.Second); code != 0 {
		t.Fatalf("first apply failed (%d):\n%s\n%s", code, first.stdout, first.stderr)
	}
	// The refused apply changed nothing: the hosts run what the first one deployed.
	for _, h := range []string{"h1", "h2"} {
		if got := running(t, l, h, svc, "web"); len(got) != 1 || got[0] != "slow" {
			t.Fatalf("%s web runs %v, want slow", h, got)
		}
	}
}

func TestApplySavedPlanStaleThenFresh(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "saved")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "v2", ""))
	planFile := filepath.Join(t.TempDir(), "v2.plan")
	if r := l.Berth(t, dir, "plan", "--out", planFile); r.Code != 0 {
		t.Fatalf("plan: %s", r)
	}
	// The hosts move on: someone stops the worker by hand.
	l.MustSSH(t, "h3", fmt.Sprintf("docker stop $(docker ps -q --filter label=berth.service=%s --filter label=berth.role=worker)", svc))
	r := l.Berth(t, dir, "apply", planFile)
	if r.Code != 1 || !strings.Contains(r.Stderr, "stale") || !strings.Contains(r.Stderr, "h3") {
		t.Fatalf("stale plan was not refused: %s", r)
	}
	if got := running(t, l, "h1", svc, "web"); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("a refused plan changed h1: %v", got)
	}
	// A fresh plan applies exactly.
	if r := l.Berth(t, dir, "plan", "--out", planFile); r.Code != 0 {
		t.Fatalf("plan: %s", r)
	}
	if r := l.Berth(t, dir, "apply", planFile); r.Code != 0 {
		t.Fatalf("apply of a fresh plan: %s", r)
	}
	mustBeConverged(t, l, dir)
	mustServe(t, l, "v2")
}

func TestApplyInterruptLeavesNoLockAndNoHalfDeploy(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "sigint")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "slow", ""))
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	b.waitOutput(t, "h1/web                       health    started", 60*time.Second)
	if err := b.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(t, 60*time.Second); code != 130 {
		t.Fatalf("exit %d, want 130:\n%s\n%s", code, b.stdout, b.stderr)
	}
	// An interrupted step is interrupted, not failed; the apply too.
	out := b.stdout.String() + b.stderr.String()
	for _, bad := range []string{"health    failed", "did not turn healthy", "Apply failed"} {
		if strings.Contains(out, bad) {
			t.Errorf("an interrupted apply says %q:\n%s", bad, out)
		}
	}
	for _, good := range []string{"health    interrupted after", "Apply interrupted after"} {
		if !strings.Contains(out, good) {
			t.Errorf("an interrupted apply does not say %q:\n%s", good, out)
		}
	}
	if r := l.Berth(t, dir, "lock", "status"); !strings.Contains(r.Stdout, "Unlocked") {
		t.Fatalf("lock left behind: %s", r)
	}
	// Every role on every host runs exactly one container, and nothing of
	// the interrupted version is left created or half-started.
	for h, role := range map[string]string{"h1": "web", "h2": "web", "h3": "worker"} {
		if got := running(t, l, h, svc, role); len(got) != 1 {
			t.Errorf("%s %s runs %v", h, role, got)
		}
		for _, c := range l.Containers(t, h, svc) {
			if c.State == "created" {
				t.Errorf("%s keeps a created container %s", h, c.Name)
			}
		}
	}
	mustServe(t, l, "v1")
}

func TestApplyOnFailureRollback(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "rollback")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	// v2 gives the worker a check that can never pass (a worker serves no
	// HTTP): it fails after the barrier opened and the web hosts moved.
	cfg := strings.Replace(appConfig(l, svc, "v2", ""), `cmd   = ["/app", "work"]`, `cmd   = ["/app", "work"]
  healthcheck {
    cmd      = ["/app", "check"]
    deadline = "3s"
  }`, 1)
	cfg = strings.Replace(cfg, `readiness_delay = "1s"`, `readiness_delay = "1s"
  on_failure      = "rollback"`, 1)
	r := l.Berth(t, l.WriteConfig(t, cfg), "apply", "--auto-approve")
	if r.Code != 1 || !strings.Contains(r.Stderr, "h3/worker") || !strings.Contains(r.Stderr, "Rolled back") {
		t.Fatalf("want a failed, rolled back apply: %s", r)
	}
	mustServe(t, l, "v1")
	for h, role := range map[string]string{"h1": "web", "h2": "web", "h3": "worker"} {
		if got := running(t, l, h, svc, role); len(got) != 1 || got[0] != "v1" {
			t.Errorf("%s %s runs %v, want v1", h, role, got)
		}
	}
}

func TestApplyHostCutOffMidApply(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "cutoff")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "slow", ""))
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	b.waitOutput(t, "h1/web                       health    started", 60*time.Second)
	// Cut h3 off while the primary is still turning healthy.
	veth := l.Host(t, "h3").Veth()
	if out, err := exec.Command("ip", "link", "set", veth, "down").CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s down: %v %s", veth, err, out)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if out, err := exec.Command("ip", "link", "set", veth, "up").CombinedOutput(); err != nil {
				t.Errorf("ip link set %s up: %v %s", veth, err, out)
			}
		}
	}
	t.Cleanup(restore)
	code := b.wait(t, 3*time.Minute)
	restore()
	if code != 1 || !strings.Contains(b.stderr.String(), "h3") {
		t.Fatalf("want exit 1 naming h3, got %d:\n%s\n%s", code, b.stdout, b.stderr)
	}
	// The other branches finished.
	for _, h := range []string{"h1", "h2"} {
		if got := running(t, l, h, svc, "web"); len(got) != 1 || got[0] != "slow" {
			t.Errorf("%s web runs %v, want slow", h, got)
		}
	}
	Eventually(t, 30*time.Second, func() error {
		_, err := l.SSH(t, "h3", "true")
		return err
	})
	if r := l.Berth(t, dir, "lock", "status"); !strings.Contains(r.Stdout, "Unlocked") {
		t.Fatalf("lock left behind: %s", r)
	}
	// The next plan shows h3's remaining change, and applying converges.
	r := l.Berth(t, dir, "plan", "--detailed-exitcode")
	if r.Code != 2 || !strings.Contains(r.Stdout, "h3/worker") {
		t.Fatalf("plan does not show h3's remaining change: %s", r)
	}
	mustApply(t, l, dir)
	mustBeConverged(t, l, dir)
}

// A plan made with --var applies from its file without repeating the --var:
// the plan carries its variables.
func TestApplySavedPlanKeepsItsVariables(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "planvars")
	cfg := strings.Replace(appConfig(l, svc, "v1", `variable "version" {
  type    = string
  default = "v1"
}`), `version         = "v1"`, `version         = var.version`, 1)
	dir := l.WriteConfig(t, cfg)
	mustApply(t, l, dir)
	planFile := filepath.Join(t.TempDir(), "v2.plan")
	if r := l.Berth(t, dir, "plan", "--var", "version=v2", "--out", planFile); r.Code != 0 {
		t.Fatalf("plan: %s", r)
	}
	if r := l.Berth(t, dir, "apply", planFile); r.Code != 0 {
		t.Fatalf("apply of a plan made with --var: %s", r)
	}
	mustServe(t, l, "v2")
}
