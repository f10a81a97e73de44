// Package lock is the deploy lock: a directory created atomically with
// mkdir on the primary host (~/.berth/locks/SERVICE), holding who took it,
// when, for which version and why. Only one apply of a service can hold it.
//
// It needs only a way to run a shell command on a host; it does not know SSH
// (executor/sshx provides that) and does not decide when to lock (the CLI
// takes it around an apply).
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Runner runs a shell command on one host, with stdin, and returns stdout.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error)
}

// Info describes who holds the lock.
type Info struct {
	Service string    `json:"service"`
	Who     string    `json:"who"`     // user@machine that took it
	When    time.Time `json:"when"`    // when it was taken
	Version string    `json:"version"` // the version being deployed
	Message string    `json:"message,omitempty"`
	Host    string    `json:"host"` // the host the lock lives on
}

// ErrLocked is wrapped by the error of Acquire when someone else holds the lock.
var ErrLocked = errors.New("deploy lock is held")

// LockedError says who holds the lock.
type LockedError struct{ Holder Info }

func (e *LockedError) Error() string {
	h := e.Holder
	msg := fmt.Sprintf("%s: taken by %s at %s for version %s", ErrLocked, h.Who, h.When.Format(time.RFC3339), h.Version)
	if h.Message != "" {
		msg += " (" + h.Message + ")"
	}
	return msg + "; if that apply is dead, run `berth lock release`"
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// dir is the lock directory of a service, relative to the login's home.
func dir(service string) string { return `"$HOME"/.berth/locks/` + quote(service) }

// Acquire takes the lock, atomically: of two concurrent callers exactly
// one succeeds; the other gets a *LockedError.
func Acquire(ctx context.Context, r Runner, info Info) error {
	body, err := json.Marshal(info)
	if err != nil {
		return err
	}
	d := dir(info.Service)
	script := `mkdir -p "$HOME"/.berth/locks || exit 1
if mkdir ` + d + ` 2>/dev/null; then cat > ` + d + `/info.json && echo acquired
else echo locked; cat ` + d + `/info.json 2>/dev/null || true; fi`
	out, err := r.Run(ctx, script, strings.NewReader(string(body)))
	if err != nil {
		return fmt.Errorf("take the deploy lock on %s: %w", info.Host, err)
	}
	first, rest, _ := strings.Cut(string(out), "\n")
	switch strings.TrimSpace(first) {
	case "acquired":
		return nil
	case "locked":
		var holder Info
		if json.Unmarshal([]byte(rest), &holder) != nil {
			// Taken a moment ago: its holder is still writing who it is.
			holder = Info{Service: info.Service, Who: "another apply (details not written yet)", Host: info.Host}
		}
		return &LockedError{Holder: holder}
	}
	return fmt.Errorf("take the deploy lock on %s: unexpected answer %q", info.Host, first)
}

// Release removes the lock, whoever holds it.
func Release(ctx context.Context, r Runner, service string) error {
	if _, err := r.Run(ctx, "rm -rf "+dir(service), nil); err != nil {
		return fmt.Errorf("release the deploy lock: %w", err)
	}
	return nil
}

// Status returns the holder, or nil when the lock is free.
func Status(ctx context.Context, r Runner, service string) (*Info, error) {
	out, err := r.Run(ctx, "if [ -d "+dir(service)+" ]; then echo locked; cat "+dir(service)+"/info.json 2>/dev/null || true; fi", nil)
	if err != nil {
		return nil, fmt.Errorf("read the deploy lock: %w", err)
	}
	first, rest, _ := strings.Cut(string(out), "\n")
	if strings.TrimSpace(first) != "locked" {
		return nil, nil
	}
	var holder Info
	if json.Unmarshal([]byte(rest), &holder) != nil {
		holder = Info{Service: service, Who: "unknown (no details recorded)"}
	}
	return &holder, nil
}

// quote makes s one shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
