package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/berth-sh/berth/executor/lock"
	"github.com/berth-sh/berth/lang"
)

// lockReleaseTimeout bounds the release of the deploy lock at the end of a
// command, retries over fresh connections included.
const lockReleaseTimeout = 30 * time.Second

// takeLock takes the deploy lock on the primary host, waiting up to wait
// for it when someone else holds it (0: fail at once), keeps its heartbeat
// while the command runs, and returns its release. The release runs over a
// fresh connection from the pool (the one the lock was taken on may have
// died meanwhile) and removes only this command's own lock: one taken over
// by someone else is left in place, with a warning.
func (a *app) takeLock(ctx context.Context, cfg *lang.Config, conns *connections, message string, wait time.Duration) (func(), error) {
	primary := cfg.PrimaryRole().Hosts[0]
	dial := lockDial(conns, primary)
	info := lock.Info{Service: cfg.Service.Name, Who: a.who(), When: time.Now().UTC(), Version: cfg.Version.Full,
		Message: message, Host: primary, Token: lock.NewToken()}
	if err := a.acquire(ctx, dial, info, wait, a.Out); err != nil {
		return nil, err
	}
	var warnOnce sync.Once
	warn := func(err error) {
		warnOnce.Do(func() {
			fmt.Fprintf(a.Err, "Warning: %v. This run goes on, but no longer holds the lock; it will not remove the other holder's.\n", err)
		})
	}
	keeper := lock.Keep(ctx, dial, info.Service, info.Token, lock.KeepOptions{OnTakenOver: warn, Logger: a.logger()})
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockReleaseTimeout)
		defer cancel()
		if err := keeper.ReleaseOwn(rctx); err != nil {
			fmt.Fprintf(a.Err, "Warning: %v; run `berth lock release`\n", err)
		}
	}, nil
}

// acquire takes the lock, waiting for it up to wait and saying on w for whom.
func (a *app) acquire(ctx context.Context, dial lock.Dial, info lock.Info, wait time.Duration, w io.Writer) error {
	if wait <= 0 {
		r, err := dial(ctx)
		if err != nil {
			return err
		}
		return lock.Acquire(ctx, r, info)
	}
	start := time.Now()
	return lock.AcquireWait(ctx, dial, info, wait, func(h lock.Holder) {
		left := (wait - time.Since(start)).Round(time.Second)
		fmt.Fprintf(w, "Waiting up to %s for the deploy lock of %s on %s, held by %s.\n", left, info.Service, info.Host, h.Describe())
	})
}

// lockDial returns a fresh live connection to the lock's host each time:
// the pool redials one that died.
func lockDial(conns *connections, host string) lock.Dial {
	return func(ctx context.Context) (lock.Runner, error) {
		return conns.pool.Conn(ctx, host)
	}
}

// registerLockWait adds --lock-wait to a command that takes the lock.
func registerLockWait(f *pflag.FlagSet, wait *time.Duration) {
	f.DurationVar(wait, "lock-wait", 0, "wait up to `DURATION` (e.g. 5m) for the deploy lock instead of failing at once when it is held")
}
