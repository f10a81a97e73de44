package sshx

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is. Every error returned by this package names
// the host it is about and says what to do.
var (
	// ErrUnknownHostKey: the host's key is not in known_hosts and the policy is strict.
	ErrUnknownHostKey = errors.New("host key not in known_hosts")
	// ErrHostKeyMismatch: the host presented a key other than the one recorded.
	ErrHostKeyMismatch = errors.New("host key mismatch")
	// ErrAuth: the host refused every credential offered.
	ErrAuth = errors.New("authentication refused")
	// ErrUnreachable: the host could not be reached (timeout, refused, no
	// route) or the connection died. Worth a retry.
	ErrUnreachable = errors.New("host unreachable")
	// ErrUnknownHost: the pool has no host of that name.
	ErrUnknownHost = errors.New("unknown host")
	// ErrCommandTimeout: a command ran longer than its deadline.
	ErrCommandTimeout = errors.New("command timed out")
)

// ExitError is returned by Conn.Run when the command exits with a non-zero
// status (or is killed by a signal: Status is then -1 and Signal is set).
type ExitError struct {
	Host   string
	Cmd    string
	Status int
	Signal string
	Stderr string
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("host %s: command %q exited with status %d", e.Host, e.Cmd, e.Status)
	if e.Signal != "" {
		msg = fmt.Sprintf("host %s: command %q killed by signal %s", e.Host, e.Cmd, e.Signal)
	}
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}
