package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// berthRun is one run of the berth binary.
type berthRun struct {
	Wall  time.Duration
	RSSMB float64 // peak resident set size of the process
	CPU   float64 // seconds of CPU (user and system) the process used
	Out   string  // stdout (only when kept) and stderr
}

// runBerth runs bin with args in dir and measures its wall time and peak
// RSS (from the child's rusage). Standard output is discarded unless
// keepOut; a failure returns an error with the last lines of its output.
func runBerth(ctx context.Context, bin string, env []string, keepOut bool, args ...string) (berthRun, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	if keepOut {
		cmd.Stdout = &stdout
	}
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Start()
	var peak func() float64
	if err == nil {
		peak = watchPeakRSS(cmd.Process.Pid)
		err = cmd.Wait()
	}
	wall := time.Since(start)
	r := berthRun{Wall: wall, Out: stdout.String() + stderr.String()}
	if cmd.ProcessState != nil {
		r.RSSMB = peak()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.CPU = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
			if r.RSSMB == 0 { // ended before the first look: the rusage, an upper bound
				r.RSSMB = float64(ru.Maxrss) / 1024
			}
		}
	}
	if err != nil {
		return r, fmt.Errorf("berth %s: %w\n%s", strings.Join(args, " "), err, tail(r.Out, 30))
	}
	return r, nil
}

// watchPeakRSS follows the peak RSS of process pid (VmHWM of
// /proc/PID/status, every 10 ms) until the returned function is called
// after the process ended, which returns it in MB. The child's rusage
// cannot say it: Go starts a child with vfork, and Linux counts the
// parent's RSS at the exec into the child's ru_maxrss, so a bench that
// holds a big simulated fleet measured its own size, not berth's.
func watchPeakRSS(pid int) func() float64 {
	done := make(chan struct{})
	result := make(chan float64, 1)
	go func() {
		var kb float64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if v, ok := vmHWM(pid); ok && v > kb {
				kb = v
			}
			select {
			case <-done:
				result <- kb / 1024
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 { close(done); return <-result }
}

// vmHWM reads a process's peak RSS in kB.
func vmHWM(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			_, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb, err == nil
		}
	}
	return 0, false
}

// berthEnv is the environment berth runs in: this process's, without an
// ssh-agent (the configuration names the key), plus extra.
func berthEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SSH_AUTH_SOCK=") || strings.HasPrefix(kv, "BERTH_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
