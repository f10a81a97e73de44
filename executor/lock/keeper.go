package lock

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Dial returns a live Runner for the lock's host. It is called for every
// heartbeat and release, so a connection that died meanwhile is replaced
// (sshx.Pool.Conn redials one).
type Dial func(ctx context.Context) (Runner, error)

// Keeper refreshes the heartbeat of a held lock until Stop, and notices
// when the lock is taken over.
type Keeper struct {
	service, token string
	dial           Dial
	every          time.Duration
	log            *slog.Logger
	onTakenOver    func(error)

	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	takenOver error
}

// KeepOptions configure a Keeper.
type KeepOptions struct {
	Every time.Duration // 0: HeartbeatInterval
	// OnTakenOver is called once, from the Keeper's goroutine, when the
	// lock is found gone or with another token.
	OnTakenOver func(error)
	Logger      *slog.Logger
}

// Keep starts refreshing the heartbeat of the lock held with token. A
// failed heartbeat (host unreachable) is logged and retried at the next
// beat; a taken-over lock is reported once and ends the heartbeat.
func Keep(ctx context.Context, dial Dial, service, token string, o KeepOptions) *Keeper {
	k := &Keeper{service: service, token: token, dial: dial, every: o.Every, log: o.Logger, onTakenOver: o.OnTakenOver,
		stop: make(chan struct{}), done: make(chan struct{})}
	if k.every <= 0 {
		k.every = HeartbeatInterval
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	go k.run(context.WithoutCancel(ctx))
	return k
}

func (k *Keeper) run(ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(k.every)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		err := k.beat(ctx)
		var lost *TakenOverError
		if errors.As(err, &lost) {
			k.lost(err)
			return
		}
		if err != nil {
			k.log.Debug("deploy lock heartbeat failed", "service", k.service, "err", err)
		}
	}
}

// beat is one heartbeat, bounded so a hung host does not delay the next.
// Stop lets a beat in flight finish rather than cancel it: a script cut off
// under the host's guard would leave the guard for others to break.
func (k *Keeper) beat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(2*k.every, 10*time.Second))
	defer cancel()
	r, err := k.dial(ctx)
	if err != nil {
		return err
	}
	return Heartbeat(ctx, r, k.service, k.token)
}

// lost records that the lock was taken over and reports it, once.
func (k *Keeper) lost(err error) {
	k.mu.Lock()
	first := k.takenOver == nil
	if first {
		k.takenOver = err
	}
	k.mu.Unlock()
	if first && k.onTakenOver != nil {
		k.onTakenOver(err)
	}
}

// TakenOver returns the *TakenOverError seen so far, or nil.
func (k *Keeper) TakenOver() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.takenOver
}

// Stop ends the heartbeat and waits for a beat in flight.
func (k *Keeper) Stop() {
	select {
	case <-k.stop:
	default:
		close(k.stop)
	}
	<-k.done
}

// ReleaseOwn stops the heartbeat and releases the lock over a fresh Runner,
// trying again within the deadline of ctx when the host cannot be reached.
// A lock that was taken over is left in place: the *TakenOverError is
// reported through OnTakenOver (unless it already was) and not returned.
func (k *Keeper) ReleaseOwn(ctx context.Context) error {
	k.Stop()
	if k.TakenOver() != nil {
		return nil
	}
	var last error
	for attempt := 0; ; attempt++ {
		r, err := k.dial(ctx)
		if err == nil {
			err = Release(ctx, r, k.service, k.token)
			var lost *TakenOverError
			switch {
			case errors.As(err, &lost) && lost.Holder == nil && attempt > 0:
				// Gone after an attempt whose answer was lost: that one released it.
				return nil
			case errors.As(err, &lost):
				k.lost(err)
				return nil
			}
		}
		if err == nil {
			return nil
		}
		last = err
		k.log.Debug("deploy lock release failed", "service", k.service, "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			return last
		case <-time.After(time.Second):
		}
	}
}

// PollInterval is how often AcquireWait tries again.
const PollInterval = time.Second

// AcquireWait is Acquire that, while someone else holds the lock, tries
// again every PollInterval until it gets it or wait has passed; then it
// returns the last *LockedError. waiting is called (may be nil) when it
// starts to wait and whenever the holder changes.
func AcquireWait(ctx context.Context, dial Dial, info Info, wait time.Duration, waiting func(Holder)) error {
	deadline := time.Now().Add(wait)
	seen := ""
	for {
		r, err := dial(ctx)
		if err != nil {
			return err
		}
		err = Acquire(ctx, r, info)
		var le *LockedError
		if !errors.As(err, &le) {
			return err
		}
		if !time.Now().Add(PollInterval).Before(deadline) {
			le.Waited = wait
			return err
		}
		if id := le.Holder.Token + "\x00" + le.Holder.Who + "\x00" + le.Holder.When.String(); id != seen {
			seen = id
			if waiting != nil {
				waiting(le.Holder)
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(PollInterval):
		}
	}
}
