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
	err := cmd.Run()
	wall := time.Since(start)
	r := berthRun{Wall: wall, Out: stdout.String() + stderr.String()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.RSSMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
			r.CPU = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
		}
	}
	if err != nil {
		return r, fmt.Errorf("berth %s: %w\n%s", strings.Join(args, " "), err, tail(r.Out, 30))
	}
	return r, nil
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
