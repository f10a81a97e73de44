// Package lock is the deploy lock: a directory created atomically with
// mkdir on the primary host (~/.berth/locks/SERVICE), holding who took it,
// when, for which version and why, the holder's own random token and, while
// an apply holds it, a heartbeat timestamp that the holder refreshes every
// few seconds. Only one apply of a service can hold it, and an apply removes
// only a lock that carries its own token. A service deployed to
// destinations has one lock per destination: wherever this package takes a
// service, it is the service's state name, SERVICE or SERVICE@DESTINATION
// (lang.Config.StateName), so ~/.berth/locks/shop@staging.
//
// Every change to the lock directory (take, heartbeat, release) runs on the
// host under a short guard (a second directory, also made with mkdir), so a
// compare-and-remove cannot interleave with another caller's take.
//
// It needs only a way to run a shell command on a host; it does not know SSH
// (internal/sshx provides that) and does not decide when to lock (the CLI
// takes it around an apply and runs the Keeper while it holds it).
package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Runner runs a shell command on one host, with stdin, and returns stdout.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error)
}

// Timing of the heartbeat.
const (
	// HeartbeatInterval is how often a holder refreshes its heartbeat.
	HeartbeatInterval = 5 * time.Second
	// StaleAfter is the age from which a heartbeat counts as stale: the
	// holder missed several beats in a row and is probably dead.
	StaleAfter = 30 * time.Second
)

// Info describes who holds the lock. It is stored on the host as it is.
type Info struct {
	Service string    `json:"service"` // the state name: SERVICE or SERVICE@DESTINATION
	Who     string    `json:"who"`     // user@machine that took it
	When    time.Time `json:"when"`    // when it was taken
	Version string    `json:"version"` // the version being deployed
	Message string    `json:"message,omitempty"`
	Host    string    `json:"host"` // the host the lock lives on
	// Token is the holder's random identity (NewToken): only a release
	// with the same token removes the lock.
	Token string `json:"token,omitempty"`
	// ByHand marks a lock taken with berth lock acquire: it has no
	// heartbeat and stays until berth lock release.
	ByHand bool `json:"by_hand,omitempty"`
}

// States of a Holder's heartbeat.
const (
	StateLive    = "live"    // heartbeat younger than StaleAfter: the holder runs
	StateStale   = "stale"   // heartbeat older than StaleAfter: the holder looks dead
	StateByHand  = "by-hand" // taken with berth lock acquire: no heartbeat
	StateUnknown = "unknown" // no heartbeat recorded (a lock of an older berth)
)

// Holder is the lock as found on the host.
type Holder struct {
	Info
	// Heartbeat is when the holder last refreshed the lock, on this
	// machine's clock (the age is measured on the host's own clock).
	Heartbeat time.Time `json:"heartbeat,omitzero"`
	// HeartbeatAge is how long ago that was, in whole seconds.
	HeartbeatAge float64 `json:"heartbeat_age_seconds,omitempty"`
	// State is StateLive, StateStale, StateByHand or StateUnknown.
	State string `json:"state"`
	Live  bool   `json:"live"` // State == StateLive
}

// Age is the heartbeat's age as a duration.
func (h Holder) Age() time.Duration { return time.Duration(h.HeartbeatAge) * time.Second }

// Describe says in a few words who holds the lock and whether it is alive,
// e.g. "alice@laptop since 08:00:00Z for version v7 (hotfix), heartbeat 2s
// ago: the holder is alive".
func (h Holder) Describe() string {
	var b strings.Builder
	b.WriteString(h.Who)
	if h.ByHand {
		b.WriteString(" by hand")
	}
	b.WriteString(" since " + h.When.Format(time.RFC3339))
	if !h.ByHand && h.Version != "" {
		b.WriteString(" for version " + h.Version)
	}
	if h.Message != "" {
		b.WriteString(" (" + h.Message + ")")
	}
	switch h.State {
	case StateLive:
		fmt.Fprintf(&b, ", heartbeat %s ago: the holder is alive", h.Age())
	case StateStale:
		fmt.Fprintf(&b, ", last heartbeat %s ago: the holder looks dead", h.Age())
	}
	return b.String()
}

// ErrLocked is wrapped by the error of Acquire when someone else holds the lock.
var ErrLocked = errors.New("deploy lock is held")

// ErrNotHeld is wrapped by the errors of Heartbeat and Release when the
// lock is gone or carries another token: someone released it and maybe
// took it since.
var ErrNotHeld = errors.New("the deploy lock was taken over")

// LockedError says who holds the lock. Waited is how long the caller
// waited for it (--lock-wait), 0 when it did not.
type LockedError struct {
	Holder Holder
	Waited time.Duration
}

func (e *LockedError) Error() string {
	hint := "if that apply is dead, run `berth lock release`"
	switch e.Holder.State {
	case StateByHand:
		hint = "it was taken by hand: `berth lock release` frees it"
	case StateLive:
		hint = "wait for it, or use --lock-wait DURATION"
		if e.Waited > 0 {
			hint = fmt.Sprintf("waited %s for it; wait longer with --lock-wait", e.Waited.Round(time.Second))
		}
	}
	return fmt.Sprintf("%s: taken by %s; %s", ErrLocked, e.Holder.Describe(), hint)
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// TakenOverError says that the lock is no longer the caller's. Holder is
// nil when the lock is gone.
type TakenOverError struct {
	Service string
	Holder  *Holder
}

func (e *TakenOverError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("%s: the lock of %s was released by someone else", ErrNotHeld, e.Service)
	}
	return fmt.Sprintf("%s: the lock of %s is now held by %s", ErrNotHeld, e.Service, e.Holder.Describe())
}

func (e *TakenOverError) Unwrap() error { return ErrNotHeld }

// NewToken returns a random token for one holder of the lock.
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Acquire takes the lock, atomically: of two concurrent callers exactly
// one succeeds; the other gets a *LockedError. info.Token should be set
// (NewToken) for Release and Heartbeat to recognise the holder; unless
// info.ByHand, the first heartbeat is written with the lock.
func Acquire(ctx context.Context, r Runner, info Info) error {
	body, err := json.Marshal(info)
	if err != nil {
		return err
	}
	beat := `date +%s > "$d/heartbeat.new" && mv -f "$d/heartbeat.new" "$d/heartbeat" || exit 1`
	if info.ByHand {
		beat = ":"
	}
	script := paths(info.Service) + guard + `
if mkdir "$d" 2>/dev/null; then
  printf '%s' ` + quote(info.Token) + ` > "$d/token" || exit 1
  cat > "$d/info.json.new" && mv -f "$d/info.json.new" "$d/info.json" || exit 1
  ` + beat + `
  echo acquired
else
  echo locked
` + show + `
fi`
	out, err := r.Run(ctx, script, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("take the deploy lock on %s: %w", info.Host, err)
	}
	first, rest, _ := strings.Cut(string(out), "\n")
	switch strings.TrimSpace(first) {
	case "acquired":
		return nil
	case "locked":
		return &LockedError{Holder: parseHolder(info.Service, info.Host, rest)}
	}
	return fmt.Errorf("take the deploy lock on %s: unexpected answer %q", info.Host, first)
}

// Heartbeat refreshes the heartbeat of the lock held with token. When the
// lock is gone or carries another token it changes nothing and returns a
// *TakenOverError.
func Heartbeat(ctx context.Context, r Runner, service, token string) error {
	err := ifOwner(ctx, r, service, token, `date +%s > "$d/heartbeat.new" && mv -f "$d/heartbeat.new" "$d/heartbeat" || exit 1`)
	if err != nil && !isAnswer(err) {
		return fmt.Errorf("refresh the deploy lock's heartbeat: %w", err)
	}
	return err
}

// Release removes the lock if it carries token (empty: a lock with no
// token, as older versions of berth left). A lock that is gone or carries
// another token is left as it is, with a *TakenOverError.
func Release(ctx context.Context, r Runner, service, token string) error {
	err := ifOwner(ctx, r, service, token, `mv "$d" "$d.released.$$" && rm -rf "$d.released.$$" || exit 1`)
	if err != nil && !isAnswer(err) {
		return fmt.Errorf("release the deploy lock: %w", err)
	}
	return err
}

// ifOwner runs action on the host, under the guard, if the lock carries
// token; a lock that is gone or carries another token gives a
// *TakenOverError and runs nothing.
func ifOwner(ctx context.Context, r Runner, service, token, action string) error {
	script := paths(service) + guard + `
if [ ! -d "$d" ]; then echo gone
elif [ "$(cat "$d/token" 2>/dev/null)" = ` + quote(token) + ` ]; then
  ` + action + `
  echo done
else
  echo other
` + show + `
fi`
	out, err := r.Run(ctx, script, nil)
	if err != nil {
		return err
	}
	return answer(service, out, "done")
}

// isAnswer reports whether err is the lock's own answer (taken over),
// not a failure to ask.
func isAnswer(err error) bool {
	var t *TakenOverError
	return errors.As(err, &t)
}

// Status returns the holder, or nil when the lock is free.
func Status(ctx context.Context, r Runner, service string) (*Holder, error) {
	out, err := r.Run(ctx, paths(service)+`
if [ -d "$d" ]; then echo locked
`+show+`
fi`, nil)
	if err != nil {
		return nil, fmt.Errorf("read the deploy lock: %w", err)
	}
	first, rest, _ := strings.Cut(string(out), "\n")
	if strings.TrimSpace(first) != "locked" {
		return nil, nil
	}
	h := parseHolder(service, "", rest)
	return &h, nil
}

// paths sets $l (the locks directory), $d (the service's lock) and $g (its
// guard) in a script.
func paths(service string) string {
	return `l="$HOME"/.berth/locks; d="$l"/` + quote(service) + `; g="$l"/` + quote(service+".guard") + "\n"
}

// guard takes the lock directory's guard for the rest of the script and
// drops it on exit. A guard held for ten seconds was left by a script that
// died with its host (the scripts take milliseconds) and is broken. A guard
// that cannot be made at all (no such directory, no permission) ends the
// script with mkdir's error.
const guard = `mkdir -p "$l" || exit 1
start=$(date +%s); fails=0
until mkdir "$g" 2>/dev/null; do
  if [ ! -d "$g" ]; then
    fails=$((fails + 1))
    [ "$fails" -lt 20 ] || { mkdir "$g" || exit 1; break; }
  elif [ $(( $(date +%s) - start )) -ge 10 ]; then rmdir "$g" 2>/dev/null; start=$(date +%s)
  fi
  sleep 0.05 2>/dev/null || sleep 1
done
trap 'rmdir "$g" 2>/dev/null' EXIT
trap 'exit 1' HUP INT TERM
`

// show prints the holder: the host's clock, the heartbeat (or an empty
// line), then the info document.
const show = `  date +%s
  cat "$d/heartbeat" 2>/dev/null || echo
  cat "$d/info.json" 2>/dev/null || true`

// answer maps the first line of a script that checks the token.
func answer(service string, out []byte, want string) error {
	first, rest, _ := strings.Cut(string(out), "\n")
	switch strings.TrimSpace(first) {
	case want:
		return nil
	case "gone":
		return &TakenOverError{Service: service}
	case "other":
		h := parseHolder(service, "", rest)
		return &TakenOverError{Service: service, Holder: &h}
	}
	return fmt.Errorf("deploy lock of %s: unexpected answer %q", service, first)
}

// parseHolder reads what show printed.
func parseHolder(service, host, out string) Holder {
	lines := strings.SplitN(out, "\n", 3)
	for len(lines) < 3 {
		lines = append(lines, "")
	}
	var h Holder
	if json.Unmarshal([]byte(lines[2]), &h.Info) != nil {
		// Taken a moment ago by an older berth: it is still writing who it is.
		h.Info = Info{Service: service, Who: "unknown (no details recorded)", Host: host}
	}
	if h.Host == "" {
		h.Host = host
	}
	now, err1 := strconv.ParseInt(strings.TrimSpace(lines[0]), 10, 64)
	beat, err2 := strconv.ParseInt(strings.TrimSpace(lines[1]), 10, 64)
	switch {
	case h.ByHand:
		h.State = StateByHand
	case err1 != nil || err2 != nil:
		h.State = StateUnknown
	default:
		age := max(time.Duration(now-beat)*time.Second, 0)
		h.HeartbeatAge = age.Seconds()
		h.Heartbeat = time.Now().Add(-age).Truncate(time.Second)
		h.State = StateStale
		if age < StaleAfter {
			h.State, h.Live = StateLive, true
		}
	}
	return h
}

// quote makes s one shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
