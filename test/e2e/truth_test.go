//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The plan is the whole truth, under faults: each test here fires a fault
// at a chosen step boundary of an apply (read from its progress lines) or
// changes a host behind berth's back, then checks what really runs on the
// hosts, that `berth plan` shows it, and that one apply converges.

// stepLine is a progress line of a plain (non-terminal) apply, without its
// timestamp: "h3/worker                    health    started".
func stepLine(addr, kind, what string) string {
	return fmt.Sprintf("%-28s %-9s %s", addr, kind, what)
}

// cutOff takes host off the lab bridge and returns the function that puts
// it back (also run when the test ends).
func cutOff(t *testing.T, l *LabEnv, host string) (restore func()) {
	t.Helper()
	veth := l.Host(t, host).Veth()
	if out, err := exec.Command("ip", "link", "set", veth, "down").CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s down: %v %s", veth, err, out)
	}
	done := false
	restore = func() {
		if done {
			return
		}
		done = true
		if out, err := exec.Command("ip", "link", "set", veth, "up").CombinedOutput(); err != nil {
			t.Errorf("ip link set %s up: %v %s", veth, err, out)
		}
		// Wait until the host answers again, so later steps do not race it.
		Eventually(t, 30*time.Second, func() error { _, err := l.SSH(t, host, "true"); return err })
	}
	t.Cleanup(restore)
	return restore
}

// dropSSHSessions kills -9 every SSH connection's sshd process on host
// (berth's and the harness's), leaving the listening sshd alone: every
// client must dial again.
func dropSSHSessions(t *testing.T, l *LabEnv, host string) {
	t.Helper()
	ns := l.Host(t, host).Lab
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		t.Fatalf("ip netns pids %s: %v", ns, err)
	}
	killed := 0
	for _, pid := range strings.Fields(string(out)) {
		cmdline, err := exec.Command("cat", "/proc/"+pid+"/cmdline").Output()
		if err != nil || !strings.HasPrefix(string(cmdline), "sshd: root@") {
			continue
		}
		var p int
		fmt.Sscan(pid, &p)
		if syscall.Kill(p, syscall.SIGKILL) == nil {
			killed++
		}
	}
	if killed == 0 {
		t.Fatalf("no SSH session to drop on %s", host)
	}
}

// runningNames lists the names of the running containers of a role on host.
func runningNames(t *testing.T, l *LabEnv, host, service, role string) []string {
	t.Helper()
	var out []string
	for _, c := range l.Containers(t, host, service) {
		if c.Labels["berth.role"] == role && c.State == "running" {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

// startCopy starts, with plain docker, a second container of the running
// container name on host with the same image, command and labels: what a
// person or a half-finished apply can leave behind.
func startCopy(t *testing.T, l *LabEnv, host, name, copyName string) {
	t.Helper()
	out := l.MustSSH(t, host, "docker inspect -f '{{json .Config}}' "+shellQuote(name))
	var cfg struct {
		Image  string
		Cmd    []string
		Labels map[string]string
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	args := []string{"docker", "run", "-d", "--name", shellQuote(copyName)}
	for k, v := range cfg.Labels {
		args = append(args, "--label", shellQuote(k+"="+v))
	}
	args = append(args, shellQuote(cfg.Image))
	for _, c := range cfg.Cmd {
		args = append(args, shellQuote(c))
	}
	l.MustSSH(t, host, strings.Join(args, " ")+" >/dev/null")
}

// mustPlanShow runs plan --detailed-exitcode and wants exit 2 with every
// text in its output.
func mustPlanShow(t *testing.T, l *LabEnv, dir string, texts ...string) {
	t.Helper()
	r := l.Berth(t, dir, "plan", "--detailed-exitcode")
	if r.Code != 2 {
		t.Fatalf("plan exit %d, want 2 (changes): %s", r.Code, r)
	}
	for _, s := range texts {
		if !strings.Contains(r.Stdout, s) {
			t.Errorf("plan does not say %q:\n%s", s, r.Stdout)
		}
	}
}

// Finding 1: a second container of a role started by hand with the role's
// labels is a change in the plan, and the next apply stops it.
func TestTruthSecondContainerByHandIsStopped(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "byhand")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	mustApply(t, l, dir)
	startCopy(t, l, "h3", svc+"-worker-v1", svc+"-worker-copy")
	mustStopTheSecond(t, l, dir, svc, svc+"-worker-copy", svc+"-worker-v1")
}

// mustStopTheSecond wants the plan to stop the extra worker on h3 with its
// reason, and one apply to leave only keep running, converged.
func mustStopTheSecond(t *testing.T, l *LabEnv, dir, svc, extra, keep string) {
	t.Helper()
	mustPlanShow(t, l, dir, "stop "+extra+": a second container of h3/worker runs")
	mustApply(t, l, dir)
	if got := runningNames(t, l, "h3", svc, "worker"); len(got) != 1 || got[0] != keep {
		t.Errorf("h3 runs %v, want only %s", got, keep)
	}
	mustBeConverged(t, l, dir)
}

// Finding 1: a retained old container started again with docker start.
func TestTruthRetainedContainerStartedAgainIsStopped(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "restart")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "v2", ""))
	mustApply(t, l, dir)
	l.MustSSH(t, "h3", "docker start "+svc+"-worker-v1 >/dev/null")
	mustStopTheSecond(t, l, dir, svc, svc+"-worker-v1", svc+"-worker-v2")
}

// Finding 1: berth killed with SIGKILL while the worker's new container
// waits for health leaves old and new running; the plan says so and one
// apply converges.
func TestTruthKilledWhileWorkerWaitsForHealth(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "kill9")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "v2", ""))
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	b.waitOutput(t, stepLine("h3/worker", "health", "started"), 60*time.Second)
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	b.wait(t, 30*time.Second)
	if got := runningNames(t, l, "h3", svc, "worker"); len(got) != 2 {
		t.Fatalf("after kill -9 at the worker's health step h3 runs %v; the fault did not hit", got)
	}
	mustPlanShow(t, l, dir, "a second container of h3/worker runs")
	if r := l.Berth(t, dir, "lock", "release", "--force"); r.Code != 0 {
		t.Fatalf("lock release: %s", r)
	}
	mustApply(t, l, dir)
	if got := runningNames(t, l, "h3", svc, "worker"); len(got) != 1 || got[0] != svc+"-worker-v2" {
		t.Errorf("h3 runs %v, want only %s-worker-v2", got, svc)
	}
	mustServe(t, l, "v2")
	mustBeConverged(t, l, dir)
}

// Finding 2: the link of a web host is cut right when its old container is
// being stopped (the daemon stops it; the reply is lost). berth must look
// again once it can, bring the old container back, and say only what it saw.
//
// The web containers ignore their stop signal, so each stop lasts the
// stop_timeout of 5s: the link is cut while the daemon is still stopping,
// however quickly the app would have exited on SIGTERM.
func TestTruthStopOldReplyLost(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "stoplost")
	stubborn := func(version string) string {
		return strings.Replace(appConfig(l, svc, version, ""), "cmd     = [\"/app\", \"serve\"]\n",
			"cmd     = [\"/app\", \"serve\"]\n  stop_signal = \"SIGWINCH\" # ignored by the app\n", 1)
	}
	if !strings.Contains(stubborn("v1"), "SIGWINCH") {
		t.Fatal("the web role's cmd line moved; the stop signal was not set")
	}
	mustApply(t, l, l.WriteConfig(t, stubborn("v1")))
	dir := l.WriteConfig(t, stubborn("v2"))
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	b.waitOutput(t, stepLine("h2/web", "stop_old", "started"), 60*time.Second)
	restore := cutOff(t, l, "h2")
	b.waitOutput(t, stepLine("h2/web", "stop_old", "failed"), 90*time.Second)
	restore()
	if code := b.wait(t, 3*time.Minute); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s\n%s", code, b.stdout, b.stderr)
	}
	got := runningNames(t, l, "h2", svc, "web")
	if len(got) != 1 {
		t.Fatalf("h2 runs %v after the apply, want exactly one web container", got)
	}
	if said := b.stderr.String(); strings.Contains(said, "the old ones serve") && strings.Contains(said, "h2/web") && got[0] != svc+"-web-v1" {
		t.Errorf("berth says the old container serves on h2, but h2 runs %v:\n%s", got, said)
	}
	if got[0] == svc+"-web-v1" {
		if _, err := serving(l.Host(t, "h2").Addr); err != nil {
			t.Errorf("h2 does not serve: %v", err)
		}
	}
	mustPlanShow(t, l, dir, "h2/web")
	mustApply(t, l, dir)
	mustServe(t, l, "v2")
	mustBeConverged(t, l, dir)
}

// Finding 3: the primary's link is cut right after its new container's
// start was sent. The start did happen; its reply was lost. The barrier
// must close with the old version serving on the primary, and nothing of
// the new version may have started anywhere else.
func TestTruthPrimaryStartReplyLost(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "startlost")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "v2", ""))
	t0 := time.Now()
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("berth apply said:\n%s\n%s", b.stdout, b.stderr)
		}
	})
	b.waitOutput(t, stepLine("h1/web", "start", "started"), 60*time.Second)
	restore := cutOff(t, l, "h1")
	b.waitOutput(t, "cannot tell what runs", 90*time.Second)
	restore()
	if code := b.wait(t, 3*time.Minute); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s\n%s", code, b.stdout, b.stderr)
	}
	if got := runningNames(t, l, "h1", svc, "web"); len(got) != 1 || got[0] != svc+"-web-v1" {
		t.Errorf("h1 runs %v, want only %s-web-v1 (the new one was never confirmed healthy)", got, svc)
	}
	for _, h := range []string{"h2", "h3"} {
		for _, name := range startedSince(t, l, h, svc, t0) {
			if strings.HasSuffix(name, "-v2") {
				t.Errorf("%s started %s although the barrier closed", h, name)
			}
		}
	}
	mustServe(t, l, "v1")
	mustApply(t, l, dir)
	mustBeConverged(t, l, dir)
}

// Finding 9: a health wait survives a dropped connection: every SSH session
// to the worker's host is killed while its new container waits for health;
// berth dials again and the deploy goes through.
func TestTruthHealthWaitSurvivesADroppedConnection(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "redial")
	worker := `
role "checked" {
  hosts = [host.h3]
  cmd   = ["/app", "serve"]
  healthcheck {
    cmd      = ["/app", "check"]
    deadline = "60s"
  }
}`
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", worker)))
	dir := l.WriteConfig(t, appConfig(l, svc, "slow", worker))
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("berth apply said:\n%s\n%s", b.stdout, b.stderr)
		}
	})
	b.waitOutput(t, stepLine("h3/checked", "health", "started"), 60*time.Second)
	dropSSHSessions(t, l, "h3")
	if code := b.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("exit %d, want 0 (the health wait should redial):\n%s\n%s", code, b.stdout, b.stderr)
	}
	if got := runningNames(t, l, "h3", svc, "checked"); len(got) != 1 || got[0] != svc+"-checked-slow" {
		t.Errorf("h3 runs %v", got)
	}
	mustBeConverged(t, l, dir)
}

// Finding 4: a host dropped from the configuration (with its role) is
// read from the roster and its containers are planned as removes.
func TestTruthDepartedHostIsCleanedUp(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "departed")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	without := strings.Replace(appConfig(l, svc, "v1", ""), l.HostBlocks("h1", "h2", "h3"), l.HostBlocks("h1", "h2"), 1)
	without = strings.Replace(without, "role \"worker\" {\n  hosts = [host.h3]\n  cmd   = [\"/app\", \"work\"]\n}", "", 1)
	dir := l.WriteConfig(t, without)
	mustPlanShow(t, l, dir, "h3/worker", "host: h3 → (left the configuration)")
	if r := l.Berth(t, dir, "status"); !strings.Contains(r.Stdout, "h3") || !strings.Contains(r.Stdout, "left the configuration") ||
		strings.Contains(r.Stdout, "Every host runs what the configuration says") {
		t.Errorf("status does not show the departed host's containers: %s", r)
	}

	// Unreachable, it is an error that names it and the way past it.
	restore := cutOff(t, l, "h3")
	r := l.Berth(t, dir, "plan")
	if r.Code != 1 || !strings.Contains(r.Stderr, "h3") || !strings.Contains(r.Stderr, "--exclude h3") {
		t.Errorf("plan with h3 cut off: %s", r)
	}
	if r := l.Berth(t, dir, "plan", "--exclude", "h3", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("plan --exclude h3: %s", r)
	}
	restore()

	mustApply(t, l, dir)
	if got := runningNames(t, l, "h3", svc, "worker"); len(got) != 0 {
		t.Errorf("h3 still runs %v", got)
	}
	mustBeConverged(t, l, dir)
	mustServe(t, l, "v1")
}

// Finding 5: removing is stopping first. A worker that handles SIGTERM
// ends with exit 0; one that ignores its stop signal is killed at its
// stop_timeout, with a warning in the output and the audit log.
func TestTruthDestroyStopsGracefully(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "graceful")
	stubborn := `
role "stubborn" {
  hosts        = [host.h3]
  cmd          = ["/app", "work"]
  stop_signal  = "SIGWINCH" # ignored by the app, like a process that ignores SIGTERM
  stop_timeout = "2s"
}`
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", stubborn))
	mustApply(t, l, dir)
	// How containers stop shapes none of them: changing it replaces nothing.
	changed := strings.Replace(appConfig(l, svc, "v1", strings.Replace(stubborn, `"2s"`, `"3s"`, 1)), `stop_timeout    = "5s"`, `stop_timeout    = "7s"`, 1)
	if r := l.Berth(t, l.WriteConfig(t, changed), "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("a changed stop_timeout plans changes: %s", r)
	}
	t0 := time.Now()
	r := l.Berth(t, dir, "destroy", "--auto-approve")
	if r.Code != 0 {
		t.Fatalf("destroy: %s", r)
	}
	want := "h3/stubborn: " + svc + "-stubborn-v1 did not stop within its stop_timeout of 2s after SIGWINCH and was killed"
	if !strings.Contains(r.Stderr, want) {
		t.Errorf("no kill warning %q in:\n%s", want, r)
	}
	if strings.Contains(r.Stderr, svc+"-worker-v1 did not stop") {
		t.Errorf("the worker was killed:\n%s", r)
	}
	out := l.MustSSH(t, "h3", fmt.Sprintf(
		"docker events --since %d --until %d --filter label=berth.service=%s --filter event=die --format '{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}'",
		t0.Unix()-1, time.Now().Unix()+1, svc))
	exits := map[string]string{}
	for _, line := range Lines(out) {
		if f := strings.Fields(line); len(f) == 2 {
			exits[f[0]] = f[1]
		}
	}
	if exits[svc+"-worker-v1"] != "0" || exits[svc+"-stubborn-v1"] != "137" {
		t.Errorf("exit codes %v, want the worker 0 and the stubborn one 137 (killed)", exits)
	}
	if a := l.Berth(t, dir, "audit"); !strings.Contains(a.Stdout, "was killed") {
		t.Errorf("the audit log does not record the kill:\n%s", a)
	}
}
