package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/berth-sh/berth/planner"
)

// Vars are what a hook learns about the run, as BERTH_* variables.
type Vars struct {
	Command    string        // BERTH_COMMAND: "plan", "apply", "rollback"
	Service    string        // BERTH_SERVICE
	Version    string        // BERTH_VERSION
	Hosts      []string      // BERTH_HOSTS, comma-separated: the hosts the run changes (pre-plan: every host)
	Roles      []string      // BERTH_ROLES, comma-separated: the roles it changes (pre-plan: every role)
	PlanDigest string        // BERTH_PLAN_DIGEST: "sha256:..." of the plan file applied, if any
	Outcome    string        // BERTH_OUTCOME (post-*): "succeeded", "failed" or "interrupted"
	Duration   time.Duration // BERTH_DURATION (post-*): seconds the apply took, e.g. "2.41"
	User       string        // BERTH_USER: who runs berth, "user@machine"
}

// env renders v for the hook called name.
func (v Vars) env(name string) []string {
	out := []string{
		"BERTH_HOOK=" + name,
		"BERTH_COMMAND=" + v.Command,
		"BERTH_SERVICE=" + v.Service,
		"BERTH_VERSION=" + v.Version,
		"BERTH_HOSTS=" + strings.Join(v.Hosts, ","),
		"BERTH_ROLES=" + strings.Join(v.Roles, ","),
		"BERTH_USER=" + v.User,
	}
	if v.PlanDigest != "" {
		out = append(out, "BERTH_PLAN_DIGEST="+v.PlanDigest)
	}
	if v.Outcome != "" {
		out = append(out, "BERTH_OUTCOME="+v.Outcome, "BERTH_DURATION="+strconv.FormatFloat(v.Duration.Seconds(), 'f', 2, 64))
	}
	return out
}

// Runner runs the hooks of one configuration directory.
type Runner struct {
	Dir     string        // the configuration directory; hooks run in it
	Environ []string      // the environment hooks inherit (os.Environ form)
	Timeout time.Duration // how long one hook may run; 0 = the lang default's 5m
	// Line receives every line a hook writes to its standard output or
	// error, in order; nil discards them.
	Line func(hook, line string)
}

// ErrChanged is wrapped by the error of a hook whose file no longer has
// the digest the plan recorded.
var ErrChanged = errors.New("changed since the plan")

// Error is a hook that failed: it exited non-zero, could not start or ran
// past its timeout.
type Error struct {
	Hook     string
	Err      error
	TimedOut time.Duration // the timeout it ran past, if that is how it failed
}

func (e *Error) Error() string {
	if e.TimedOut > 0 {
		return fmt.Sprintf("hook %s did not finish within its timeout of %s (deploy.hook_timeout) and was killed", e.Hook, e.TimedOut)
	}
	return fmt.Sprintf("hook %s failed: %v", e.Hook, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs hook h with vars and waits for it. It refuses to run a hook
// whose file's digest is no longer h.Digest. The hook's process group is
// killed at the timeout or when ctx ends.
func (r *Runner) Run(ctx context.Context, h planner.Hook, vars Vars) error {
	path := filepath.Join(r.Dir, filepath.FromSlash(h.Path))
	if d, err := digest(path); err != nil {
		return &Error{Hook: h.Name, Err: err}
	} else if d != h.Digest {
		return &Error{Hook: h.Name, Err: fmt.Errorf("%s %w (%s in the plan, %s now)", h.Path, ErrChanged, h.Digest, d)}
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	abs, err := filepath.Abs(path)
	if err != nil {
		return &Error{Hook: h.Name, Err: err}
	}
	cmd := exec.CommandContext(hctx, abs)
	cmd.Dir = r.Dir
	cmd.Env = append(append([]string{}, r.Environ...), vars.env(h.Name)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a child that keeps the output open
	out := &lineWriter{emit: func(line string) { r.emit(h.Name, line) }}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.flush()
	switch {
	case err == nil:
		return nil
	case errors.Is(hctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return &Error{Hook: h.Name, Err: err, TimedOut: timeout}
	}
	return &Error{Hook: h.Name, Err: err}
}

func (r *Runner) emit(hook, line string) {
	if r.Line != nil {
		r.Line(hook, line)
	}
}

// lineWriter passes on whole lines; flush passes on the last, unfinished one.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(strings.TrimSuffix(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}
