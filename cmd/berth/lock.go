package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/lock"
	"github.com/berth-sh/berth/internal/deploy"
)

// lockFlags are the flags every lock subcommand shares.
type lockFlags struct {
	vars   varFlags
	asJSON bool
}

func newLockCmd(a *app) *cobra.Command {
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Show, take or release the deploy lock on the primary host",
		Long: `The deploy lock lives on the primary host. apply, rollback, destroy and
prune take it, refresh its heartbeat every few seconds while they run, and
release it when they end. berth lock acquire takes it by hand (no
heartbeat) until berth lock release.`,
	}
	cmd.PersistentFlags().BoolVar(&lf.asJSON, "json", false, "machine-readable output")
	lf.vars.register(cmd.PersistentFlags())
	cmd.AddCommand(newLockStatusCmd(a, &lf), newLockReleaseCmd(a, &lf), newLockAcquireCmd(a, &lf))
	return cmd
}

func newLockStatusCmd(a *app, lf *lockFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Who holds the deploy lock, since when, why, and whether the holder is alive",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.lockDo(cmd.Context(), lf.vars, func(ctx context.Context, t lockTarget) error {
				r, err := t.dial(ctx)
				if err != nil {
					return err
				}
				h, err := lock.Status(ctx, r, t.service)
				if err != nil {
					return err
				}
				if lf.asJSON {
					return a.lockJSON(h)
				}
				a.lockText(t.service, t.host, h)
				return nil
			})
		},
	}
}

func newLockReleaseCmd(a *app, lf *lockFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Release the deploy lock (taken by hand, or left by an apply that died)",
		Long: `Release the deploy lock. A lock whose holder is alive (its heartbeat is
recent) is refused without --force: releasing it would let a second apply
run beside the first. The holder of a released lock notices within a few
seconds, warns, and does not remove a lock taken after it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.lockDo(cmd.Context(), lf.vars, func(ctx context.Context, t lockTarget) error {
				return a.lockRelease(ctx, t, force, lf.asJSON)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "release it even though its holder is alive")
	return cmd
}

func newLockAcquireCmd(a *app, lf *lockFlags) *cobra.Command {
	var (
		message string
		wait    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "acquire -m MESSAGE",
		Short: "Take the deploy lock by hand, e.g. for maintenance, until berth lock release",
		Long: `Take the deploy lock by hand: every apply, rollback, destroy and prune is
refused (showing the message) until berth lock release. A lock taken by
hand has no heartbeat.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if message == "" {
				return errors.New("berth lock acquire needs -m MESSAGE: say why the lock is held, for whoever finds it")
			}
			return a.lockDo(cmd.Context(), lf.vars, func(ctx context.Context, t lockTarget) error {
				return a.lockAcquire(ctx, t, message, wait, lf.asJSON)
			})
		},
	}
	cmd.Flags().StringVarP(&message, "message", "m", "", "why the lock is held (required)")
	registerLockWait(cmd.Flags(), &wait)
	return cmd
}

func (a *app) lockRelease(ctx context.Context, t lockTarget, force, asJSON bool) error {
	service, host := t.service, t.host
	r, err := t.dial(ctx)
	if err != nil {
		return err
	}
	h, err := lock.Status(ctx, r, service)
	if err != nil {
		return err
	}
	if h == nil {
		if asJSON {
			return a.lockJSON(nil)
		}
		fmt.Fprintf(a.Out, "Unlocked: no apply of %s holds the lock on %s; nothing to release.\n", service, host)
		return nil
	}
	if h.Live && !force {
		return fmt.Errorf("the deploy lock of %s on %s is held by %s; releasing it would let another apply run beside it: wait for it to end, or use --force",
			service, host, h.Describe())
	}
	// Remove the lock just seen, not whatever is there by now.
	if err := lock.Release(ctx, r, service, h.Token); err != nil {
		if errors.Is(err, lock.ErrNotHeld) {
			return fmt.Errorf("the deploy lock changed while releasing it, nothing removed: %w", err)
		}
		return err
	}
	if asJSON {
		return a.lockJSON(nil)
	}
	fmt.Fprintf(a.Out, "Released the deploy lock of %s on %s, held by %s.\n", service, host, h.Describe())
	if h.Live {
		fmt.Fprintln(a.Out, "Its holder still runs: it will warn that its lock was taken over, and will not remove a lock taken after it.")
	}
	return nil
}

func (a *app) lockAcquire(ctx context.Context, t lockTarget, message string, wait time.Duration, asJSON bool) error {
	service, host := t.service, t.host
	info := lock.Info{Service: service, Who: a.who(), When: time.Now().UTC(), Message: message, Host: host,
		Token: lock.NewToken(), ByHand: true}
	progress := a.Out
	if asJSON {
		progress = a.Err
	}
	if err := t.sess.Acquire(ctx, t.dial, info, wait, progress); err != nil {
		return err
	}
	if asJSON {
		return a.lockJSON(&lock.Holder{Info: info, State: lock.StateByHand})
	}
	fmt.Fprintf(a.Out, "Locked %s on %s by hand (%s): apply, rollback, destroy and prune are refused until `berth lock release`.\n", service, host, message)
	return nil
}

// lockJSON prints the lock as `berth lock status --json` does.
func (a *app) lockJSON(h *lock.Holder) error {
	return json.NewEncoder(a.Out).Encode(map[string]any{"locked": h != nil, "holder": h})
}

// lockText prints the lock for a person.
func (a *app) lockText(service, host string, h *lock.Holder) {
	if h == nil {
		fmt.Fprintf(a.Out, "Unlocked: no apply of %s holds the lock on %s.\n", service, host)
		return
	}
	since := fmt.Sprintf("since %s (%s ago)", h.When.Local().Format(time.RFC3339), time.Since(h.When).Round(time.Second))
	if h.ByHand {
		fmt.Fprintf(a.Out, "Locked by hand on %s by %s %s.\n", host, h.Who, since)
	} else {
		fmt.Fprintf(a.Out, "Locked on %s by %s %s, deploying %s.\n", host, h.Who, since, h.Version)
	}
	if h.Message != "" {
		fmt.Fprintf(a.Out, "Message: %s\n", h.Message)
	}
	switch h.State {
	case lock.StateLive:
		fmt.Fprintf(a.Out, "Heartbeat %s ago: live, the holder is running (berth lock release refuses without --force).\n", h.Age())
	case lock.StateStale:
		fmt.Fprintf(a.Out, "Last heartbeat %s ago: stale, the holder looks dead; `berth lock release` frees it.\n", h.Age())
	case lock.StateByHand:
		fmt.Fprintln(a.Out, "No heartbeat (taken by hand): `berth lock release` frees it.")
	default:
		fmt.Fprintln(a.Out, "No heartbeat recorded (taken by an older berth): if that apply is dead, `berth lock release` frees it.")
	}
}

// lockTarget is the lock of a service: the primary host it lives on and a
// way to reach that host.
type lockTarget struct {
	service, host string
	dial          lock.Dial
	sess          *deploy.Session
}

// lockDo runs fn against the primary host, where the lock lives.
func (a *app) lockDo(ctx context.Context, vf varFlags, fn func(context.Context, lockTarget) error) error {
	cfg, sess, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer sess.Close()
	host := cfg.PrimaryRole().Hosts[0]
	return fn(ctx, lockTarget{service: cfg.StateName(), host: host, dial: sess.LockDial(host), sess: sess})
}
