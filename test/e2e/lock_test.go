//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lockStatus is `berth lock status --json`.
type lockStatus struct {
	Locked bool `json:"locked"`
	Holder *struct {
		Who     string `json:"who"`
		Message string `json:"message"`
		Token   string `json:"token"`
		ByHand  bool   `json:"by_hand"`
		State   string `json:"state"`
		Live    bool   `json:"live"`
	} `json:"holder"`
}

func readLock(t *testing.T, l *LabEnv, dir string) lockStatus {
	t.Helper()
	r := l.Berth(t, dir, "lock", "status", "--json")
	var st lockStatus
	if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &st) != nil {
		t.Fatalf("lock status --json: %s", r)
	}
	return st
}

func mustBeUnlocked(t *testing.T, l *LabEnv, dir string) {
	t.Helper()
	if st := readLock(t, l, dir); st.Locked {
		t.Fatalf("lock left behind: %+v", *st.Holder)
	}
}

var pidRE = regexp.MustCompile(`pid=(\d+)`)

// killSSHConnections kills, on host, the sshd processes that serve the
// SSH connections of the local process pid to that host: the connection
// dies under the process, as when a host's sshd crashes or is restarted.
// It returns how many connections it cut.
func killSSHConnections(t *testing.T, l *LabEnv, host string, pid int) int {
	t.Helper()
	h := l.Host(t, host)
	out, err := exec.Command("ss", "-tnpH", "state", "established", "dst", h.Addr+":22").CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v %s", err, out)
	}
	cut := 0
	for _, line := range Lines(string(out)) {
		if !strings.Contains(line, fmt.Sprintf("pid=%d,", pid)) {
			continue
		}
		// Recv-Q Send-Q Local:Port Peer:Port users:(...)
		f := strings.Fields(line)
		local := f[2]
		port := local[strings.LastIndex(local, ":")+1:]
		srv, err := exec.Command("nsenter", "--net=/var/run/netns/"+h.Lab, "ss", "-tnpH", "state", "established",
			"sport", "=", ":22", "dport", "=", ":"+port).CombinedOutput()
		if err != nil {
			t.Fatalf("ss on %s: %v %s", host, err, srv)
		}
		for _, m := range pidRE.FindAllStringSubmatch(string(srv), -1) {
			if out, err := exec.Command("kill", "-9", m[1]).CombinedOutput(); err != nil {
				t.Logf("kill -9 %s: %v %s", m[1], err, out)
			}
		}
		cut++
	}
	return cut
}

// An apply whose SSH connection to the primary host (the one it took the
// lock on) dies mid-apply still releases the lock: over a fresh connection.
func TestLockReleasedAfterThePrimaryConnectionDies(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "lockconn")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "slow", ""))
	b := startBerth(t, l, dir, "apply", "--auto-approve")
	// h1 is done (the barrier opened, its old container stopped) and h2
	// waits for health: cut h1's connection under the running apply.
	b.waitOutput(t, "h2/web                       health    started", 90*time.Second)
	if n := killSSHConnections(t, l, "h1", b.cmd.Process.Pid); n == 0 {
		t.Fatal("found no SSH connection of berth to h1")
	}
	if code := b.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("apply failed (%d):\n%s\n%s", code, b.stdout, b.stderr)
	}
	if strings.Contains(b.stderr.String(), "berth lock release") {
		t.Errorf("apply warns about the lock:\n%s", b.stderr)
	}
	mustBeUnlocked(t, l, dir)
	mustServe(t, l, "slow")
}

// berth lock release refuses a lock whose holder is alive; --force
// releases it; the holder then warns and does not remove the lock that a
// second apply took meanwhile.
func TestLockReleaseOfALiveApplyAndTakeOver(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "locklive")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	// The first apply deploys the web role only, the second the worker
	// only: the two never touch the same host, only the same lock.
	firstDir := l.WriteConfig(t, appConfig(l, svc, "slow", ""))
	first := startBerth(t, l, firstDir, "apply", "--auto-approve", "--target", "web", "-m", "first apply")
	first.waitOutput(t, "h1/web                       health    started", 90*time.Second)

	r := l.Berth(t, firstDir, "lock", "release")
	if r.Code != 1 || !strings.Contains(r.Stderr, "first apply") || !strings.Contains(r.Stderr, "alive") || !strings.Contains(r.Stderr, "--force") {
		t.Fatalf("release of a live lock was not refused: %s", r)
	}
	if st := readLock(t, l, firstDir); !st.Locked || st.Holder.Message != "first apply" || !st.Holder.Live || st.Holder.State != "live" {
		t.Fatalf("lock status while the first apply runs: %+v", st)
	}
	firstToken := readLock(t, l, firstDir).Holder.Token
	if r := l.Berth(t, firstDir, "lock", "release", "--force"); r.Code != 0 || !strings.Contains(r.Stdout, "Released") {
		t.Fatalf("release --force: %s", r)
	}

	// A worker check that never passes keeps the second apply (and its
	// lock) busy until it is interrupted.
	cfg := strings.Replace(appConfig(l, svc, "slow", ""), `cmd   = ["/app", "work"]`, `cmd   = ["/app", "work"]
  healthcheck {
    cmd      = ["/app", "check"]
    deadline = "90s"
  }`, 1)
	secondDir := l.WriteConfig(t, cfg)
	second := startBerth(t, l, secondDir, "apply", "--auto-approve", "--target", "worker", "-m", "second apply")
	second.waitOutput(t, "h3/worker                    health    started", 60*time.Second)

	if code := first.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("first apply failed (%d):\n%s\n%s", code, first.stdout, first.stderr)
	}
	if n := strings.Count(first.stderr.String(), "taken over"); n != 1 {
		t.Errorf("the first apply warned %d times that its lock was taken over:\n%s", n, first.stderr)
	}
	st := readLock(t, l, firstDir)
	if !st.Locked || st.Holder.Message != "second apply" || st.Holder.Token == firstToken || !st.Holder.Live {
		t.Fatalf("the second apply's lock after the first ended: %+v", st)
	}
	// The second one, interrupted, releases its own lock.
	if err := second.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := second.wait(t, 2*time.Minute); code != 130 {
		t.Fatalf("second apply: exit %d, want 130:\n%s\n%s", code, second.stdout, second.stderr)
	}
	if strings.Contains(second.stderr.String(), "taken over") {
		t.Errorf("the second apply lost its lock:\n%s", second.stderr)
	}
	mustBeUnlocked(t, l, firstDir)
}

// berth lock acquire -m holds the lock by hand: apply is refused with the
// message; apply --lock-wait waits for berth lock release, then deploys.
func TestLockAcquireByHandAndLockWait(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "lockhand")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	if r := l.Berth(t, dir, "lock", "acquire", "-m", "maintenance"); r.Code != 0 {
		t.Fatalf("lock acquire: %s", r)
	}
	if st := readLock(t, l, dir); !st.Locked || !st.Holder.ByHand || st.Holder.Message != "maintenance" || st.Holder.Live {
		t.Fatalf("lock status: %+v", st)
	}
	r := l.Berth(t, dir, "apply", "--auto-approve")
	if r.Code != 1 || !strings.Contains(r.Stderr, "deploy lock is held") || !strings.Contains(r.Stderr, "maintenance") {
		t.Fatalf("apply under a lock taken by hand: %s", r)
	}
	if got := l.Containers(t, "h1", svc); len(got) != 0 {
		t.Fatalf("a refused apply created %d containers", len(got))
	}

	waiter := startBerth(t, l, dir, "apply", "--auto-approve", "--lock-wait", "30s")
	waiter.waitOutput(t, "Waiting up to", 30*time.Second)
	if !strings.Contains(waiter.stdout.String(), "maintenance") {
		t.Errorf("the wait does not say for whom:\n%s", waiter.stdout)
	}
	if r := l.Berth(t, dir, "lock", "release"); r.Code != 0 {
		t.Fatalf("lock release: %s", r)
	}
	if code := waiter.wait(t, 2*time.Minute); code != 0 || !strings.Contains(waiter.stdout.String(), "Apply complete") {
		t.Fatalf("apply --lock-wait (%d):\n%s\n%s", code, waiter.stdout, waiter.stderr)
	}
	mustBeUnlocked(t, l, dir)
	mustServe(t, l, "v1")
}
