package main

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/berth-sh/berth/test/sim"
)

func setNoFile(s string) error {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return err
	}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n})
}

// A fleet bigger than the hard open files limit is refused before any host
// is contacted, with a message that names the limit, never as hosts that
// are unreachable.
func TestFleetBeyondTheOpenFilesLimitRefusedBeforeAnyDial(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 2,000 simulated hosts")
	}
	bin, err := exec.LookPath("berth-nofile")
	if err != nil {
		t.Skip("berth-nofile not on PATH:", err)
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Max < 4200 {
		t.Skip("the test process needs 4,200 open files for its simulated fleet")
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	fleet, err := sim.Start(sim.Options{Hosts: 2000})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	reg := sim.StartRegistry()
	defer reg.Close()
	reg.Push("app", "v1")
	dir := t.TempDir()
	id, kh, err := fleet.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.WriteConfig(dir, sim.ConfigOptions{Registry: reg.Host(), Identity: id, KnownHosts: kh}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve"}} {
		cmd := exec.Command(bin, append([]string{"--chdir", dir}, args...)...)
		cmd.Env = append(cmd.Environ(), "BERTH_TEST_NOFILE=1024")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		msg := stderr.String()
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Fatalf("berth %s: exit %d (%v), want 1\n%s", args[0], code, err, msg)
		}
		for _, want := range []string{"open files limit (RLIMIT_NOFILE) is 1024 (hard limit 1024)", "2000 hosts", "no host was contacted"} {
			if !strings.Contains(msg, want) {
				t.Errorf("berth %s: stderr lacks %q:\n%s", args[0], want, msg)
			}
		}
		if strings.Contains(msg, "unreachable") {
			t.Errorf("berth %s: reported as unreachable:\n%s", args[0], msg)
		}
	}
	if n := fleet.Handshakes(); n != 0 {
		t.Errorf("%d hosts were contacted", n)
	}
}
