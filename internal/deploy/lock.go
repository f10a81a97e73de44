package deploy

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/berth-sh/berth/executor/lock"
	"github.com/berth-sh/berth/lang"
)

// lockReleaseTimeout bounds the release of the deploy lock at the end of a
// command, retries over fresh connections included.
const lockReleaseTimeout = 30 * time.Second

// Lock takes the deploy lock of cfg's service (the session's configuration,
// or the one a rollback returns to, for the version it records) on the
// primary host, waiting up to wait for it when someone else holds it (0:
// fail at once), keeps its heartbeat while the command runs, and returns
// its release. The release runs over a fresh connection from the pool (the
// one the lock was taken on may have died meanwhile) and removes only this
// command's own lock: one taken over by someone else is left in place,
// with a warning.
func (s *Session) Lock(ctx context.Context, cfg *lang.Config, message string, wait time.Duration) (release func(), err error) {
	primary := cfg.PrimaryRole().Hosts[0]
	dial := s.LockDial(primary)
	info := lock.Info{Service: cfg.StateName(), Who: s.env.Who, When: time.Now().UTC(), Version: cfg.Version.Full,
		Message: message, Host: primary, Token: lock.NewToken()}
	if err := s.Acquire(ctx, dial, info, wait, s.env.Out); err != nil {
		return nil, err
	}
	var warnOnce sync.Once
	warn := func(err error) {
		warnOnce.Do(func() {
			s.warnf("%v. This run goes on, but no longer holds the lock; it will not remove the other holder's.", err)
		})
	}
	keeper := lock.Keep(ctx, dial, info.Service, info.Token, lock.KeepOptions{OnTakenOver: warn, Logger: s.log})
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockReleaseTimeout)
		defer cancel()
		if err := keeper.ReleaseOwn(rctx); err != nil {
			s.warnf("%v; run `berth lock release`", err)
		}
	}, nil
}

// Acquire takes the lock described by info, waiting for it up to wait and
// saying on notice for whom.
func (s *Session) Acquire(ctx context.Context, dial lock.Dial, info lock.Info, wait time.Duration, notice io.Writer) error {
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
		fmt.Fprintf(notice, "Waiting up to %s for the deploy lock of %s on %s, held by %s.\n", left, info.Service, info.Host, h.Describe())
	})
}

// LockDial returns a fresh live connection to the lock's host each time:
// the pool redials one that died.
func (s *Session) LockDial(host string) lock.Dial {
	return func(ctx context.Context) (lock.Runner, error) {
		return s.pool.Conn(ctx, host)
	}
}
