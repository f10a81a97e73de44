package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// Discarding a new container and finding out what really runs: one attempt
// in a step, and retries over fresh connections within the clean-up window.

// discardNew removes the new container and makes sure the old one runs.
// It goes by what the host says, not by what earlier replies said: after a
// lost reply it redials and looks again, within the clean-up window, and
// it reports the old container as serving only once it saw it running.
//
// Inside a step it tries once (a step must not hold the walk for long); the
// clean-up after the walk tries again until the clean-up window passes
// (discardUntilKnown) when that attempt could not tell what runs.
func (r *run) discardNew(ctx context.Context, d Docker, b *branch) error {
	return r.discardOnce(ctx, d, b)
}

// discardUntilKnown is discardNew, redialling after lost replies until the
// clean-up window passes.
func (r *run) discardUntilKnown(ctx context.Context, d Docker, b *branch) error {
	return r.untilKnown(ctx, d, b, r.discardOnce)
}

// untilKnown runs fn against the branch's host until it succeeds or fails
// with the daemon's own answer; after a lost reply or a dead connection it
// redials and tries again, within the clean-up window. d may be nil (the
// host could not be reached yet).
func (r *run) untilKnown(ctx context.Context, d Docker, b *branch, fn func(context.Context, Docker, *branch) error) error {
	since := time.Now()
	var last error
	told := false
	for {
		if d != nil {
			last = fn(ctx, d, b)
			if last == nil || !uncertain(last) {
				return last
			}
		}
		if !told {
			told = true
			r.rep.Event(b.addr(), fmt.Sprintf("cannot tell what runs (%s); trying again for up to %s", firstLine(last), r.opts.CleanupWindow))
		}
		if !r.retryLater(ctx, since) {
			return fmt.Errorf("%w (gave up after the clean-up window of %s; run berth plan to see what runs)", last, r.opts.CleanupWindow)
		}
		var err error
		if d, err = r.redial(ctx, b.addr().Host); err != nil {
			last = err
		}
	}
}

func (r *run) discardOnce(ctx context.Context, d Docker, b *branch) error {
	var errs []error
	octx, cancel := r.op(ctx)
	defer cancel()
	if b.new == newRouted {
		// The proxy routes to the new container: route back first.
		if err := r.switchBack(octx, d, b); err != nil {
			return err
		}
	}
	if b.pending() {
		if b.started() {
			if err := r.stopContainer(octx, d, b, b.newID, b.change.Desired.Name); err != nil {
				return err
			}
		}
		if b.origin == originCreated {
			if err := d.Remove(octx, b.newID, false); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				return fmt.Errorf("remove new container: %w", err)
			}
		}
		b.new = newDiscarded // a retained or kept container stays, stopped or running as it was
	}
	if b.newID == "" || b.new == newDiscarded {
		// The name is free again: the old container gets its own back.
		if err := r.renameBack(octx, d, b); err != nil {
			errs = append(errs, err)
		}
	}
	if old := b.change.Running; old != nil {
		info, err := d.Inspect(octx, old.ID)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", old.Name, err)
		}
		if !info.State.Running {
			if err := r.freePortsForOld(octx, d, b); err != nil {
				errs = append(errs, err)
			}
			if err := d.Start(octx, old.ID); err != nil {
				return errors.Join(append(errs, fmt.Errorf("start %s again: %w", old.Name, err))...)
			}
			if info, err = d.Inspect(octx, old.ID); err != nil {
				return errors.Join(append(errs, fmt.Errorf("inspect %s: %w", old.Name, err))...)
			}
			if !info.State.Running {
				return errors.Join(append(errs, fmt.Errorf("%s did not run again: %s", old.Name, notRunning(info)))...)
			}
			r.rep.Event(b.addr(), "restarted "+old.Name)
			if err := r.restartProxy(octx, d, b); err != nil {
				errs = append(errs, err)
			}
		}
		b.old = oldRunsAgain
	}
	return errors.Join(errs...)
}

func firstLine(err error) string {
	if err == nil {
		return "no answer"
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// dropTries bounds how often an idempotent step runs again after its
// connection dropped.
const dropTries = 3

// again runs an idempotent step (pull, stop_old, prune, remove) and, when
// its connection dropped under it but the host answers a new dial, runs it
// again over the new connection: a dropped SSH session is not a failed
// step. A host that cannot be dialled again fails the step as before, and
// the clean-up takes over.
func (r *run) again(ctx context.Context, d Docker, b *branch, fn func(context.Context, Docker, *branch) error) error {
	err := fn(ctx, d, b)
	for try := 1; try < dropTries && uncertain(err) && ctx.Err() == nil; try++ {
		nd, derr := r.redial(ctx, b.addr().Host)
		if derr != nil {
			return err
		}
		r.rep.Event(b.addr(), fmt.Sprintf("the connection dropped (%s); redialled, trying again", firstLine(err)))
		d = nd
		err = fn(ctx, d, b)
	}
	return err
}

// redial returns the host's Docker client again, dialling a new
// connection if the old one died.
func (r *run) redial(ctx context.Context, host string) (Docker, error) {
	octx, cancel := context.WithTimeout(ctx, r.opts.RetryInterval*10)
	defer cancel()
	d, err := r.hosts.Docker(octx, host)
	if err != nil {
		return nil, err // never an interface holding a nil client
	}
	return d, nil
}

// retryLater waits before the next try of a clean-up that began at since;
// false when the clean-up window has passed (or the context ended).
func (r *run) retryLater(ctx context.Context, since time.Time) bool {
	if time.Since(since) > r.opts.CleanupWindow {
		return false
	}
	select {
	case <-time.After(r.opts.RetryInterval):
		return true
	case <-ctx.Done():
		return false
	}
}

// lookUp inspects a container by name or ID on host through a fresh
// client; ok is false when it cannot be seen.
func (r *run) lookUp(ctx context.Context, host, id string) (dockerapi.ContainerInfo, bool) {
	d, err := r.redial(ctx, host)
	if err != nil {
		return dockerapi.ContainerInfo{}, false
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	info, err := d.Inspect(octx, id)
	return info, err == nil
}
