package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// killWait bounds the wait for a container to end after SIGKILL.
const killWait = 10 * time.Second

// stopped says how a graceful stop ended.
type stopped struct {
	killed bool   // the signal did not end it within the timeout: SIGKILL did
	signal string // the signal it was asked to stop with
}

// stopGracefully stops container id the way `docker stop` does, with the
// signal and timeout given now rather than those it was created with:
// signal (empty: the container's own stop signal, else SIGTERM), wait up to
// timeout for it to end, then SIGKILL. A container that does not run, or
// no longer exists, is no error.
func stopGracefully(ctx context.Context, d Docker, id string, spec planner.StopSpec) (stopped, error) {
	if spec.Signal == "" {
		return stopWithOwnSignal(ctx, d, id, spec.Timeout)
	}
	info, err := d.Inspect(ctx, id)
	if errors.Is(err, dockerapi.ErrNotFound) {
		return stopped{}, nil
	}
	if err != nil {
		return stopped{}, err
	}
	if info.State.Status == "restarting" {
		// Between two runs there is no process to signal: the stop
		// endpoint cancels the restart.
		return stopped{}, d.Stop(ctx, id, spec.Timeout)
	}
	if !info.State.Running {
		return stopped{}, nil
	}
	res := stopped{signal: spec.Signal}
	if err := d.Kill(ctx, id, spec.Signal); err != nil {
		if notRunningAnyMore(err) {
			return res, nil
		}
		return res, err
	}
	wctx, cancel := context.WithTimeout(ctx, spec.Timeout)
	_, werr := d.Wait(wctx, id, "not-running")
	cancel()
	if werr == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return res, werr
	}
	// The timeout passed, or the wait's reply was lost: look again.
	res.killed, err = killIfRunning(ctx, d, id)
	return res, err
}

// killIfRunning sends SIGKILL to id if it still runs and waits for it to
// end; killed says whether it had to.
func killIfRunning(ctx context.Context, d Docker, id string) (killed bool, err error) {
	info, err := d.Inspect(ctx, id)
	switch {
	case errors.Is(err, dockerapi.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	case !info.State.Running:
		return false, nil
	}
	if err := d.Kill(ctx, id, "SIGKILL"); err != nil && !notRunningAnyMore(err) {
		return false, err
	}
	kctx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	if _, err := d.Wait(kctx, id, "not-running"); err != nil && ctx.Err() == nil {
		return true, fmt.Errorf("still running after SIGKILL: %w", err)
	}
	return true, nil
}

// stopWithOwnSignal stops id with its own stop signal through Docker's
// stop endpoint: one request, Docker sends the signal, waits timeout and
// kills. Only a stop that lasted the whole timeout can have ended in a
// kill; then the exit code tells (137, SIGKILL, and not the OOM killer).
func stopWithOwnSignal(ctx context.Context, d Docker, id string, timeout time.Duration) (stopped, error) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	begin := time.Now()
	if err := d.Stop(ctx, id, timeout); err != nil {
		if errors.Is(err, dockerapi.ErrNotFound) {
			return stopped{}, nil
		}
		return stopped{}, err
	}
	res := stopped{signal: "its stop signal"}
	if time.Since(begin) < timeout {
		return res, nil
	}
	info, err := d.Inspect(ctx, id)
	if err != nil {
		return res, nil // it stopped; how is not worth failing the step for
	}
	if info.StopSignal != "" {
		res.signal = info.StopSignal
	} else {
		res.signal = "SIGTERM"
	}
	res.killed = info.State.ExitCode == 137 && !info.OOMKilled
	return res, nil
}

// notRunningAnyMore reports whether a kill failed because the container
// had ended (409) or gone (404) meanwhile.
func notRunningAnyMore(err error) bool {
	return errors.Is(err, dockerapi.ErrConflict) || errors.Is(err, dockerapi.ErrNotFound)
}

// stopContainer stops one container of branch b gracefully, with the
// change's stop signal and timeout, and warns when it had to be killed.
func (r *run) stopContainer(ctx context.Context, d Docker, b *branch, id, name string) error {
	res, err := stopGracefully(ctx, d, id, b.change.Stop)
	if err != nil {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	if res.killed {
		r.warn(b.addr(), fmt.Sprintf("%s did not stop within its stop_timeout of %s after %s and was killed (SIGKILL)",
			name, b.change.Stop.Timeout, res.signal))
	}
	return nil
}

// Warning is something an apply did that worked but that a person must know.
type Warning struct {
	Address planner.Address
	Message string
}

func (w Warning) String() string {
	if w.Address == (planner.Address{}) {
		return w.Message
	}
	return w.Address.String() + ": " + w.Message
}

func (r *run) warn(addr planner.Address, msg string) {
	r.warnMu.Lock()
	r.warnings = append(r.warnings, Warning{Address: addr, Message: msg})
	r.warnMu.Unlock()
	r.rep.Event(addr, "warning: "+msg)
}

// uncertain reports whether err leaves open whether the daemon did what was
// asked: the request or its answer was lost (a cut link, a dead SSH
// connection, a timeout), as opposed to the daemon's own refusal.
func uncertain(err error) bool {
	if err == nil {
		return false
	}
	var api *dockerapi.APIError
	return !errors.As(err, &api)
}
