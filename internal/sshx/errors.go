package sshx

import (
	"errors"
	"fmt"
	"syscall"
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
	// ErrTooManyOpenFiles: this process ran out of file descriptors
	// (EMFILE, ENFILE): the host was not even tried. Not worth a retry
	// until connections close or the limit is raised.
	ErrTooManyOpenFiles = errors.New("too many open files")
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

// tooManyFiles reports whether err is this process running out of file
// descriptors, which says nothing about the host.
func tooManyFiles(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// filesErr is ErrTooManyOpenFiles with the open files limit in force.
func filesErr(err error) error {
	var l syscall.Rlimit
	limit := "unknown"
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		limit = fmt.Sprintf("soft %d, hard %d", l.Cur, l.Max)
	}
	return fmt.Errorf("%w (%v): berth holds one connection per host and the open files limit (RLIMIT_NOFILE, ulimit -n) is %s; "+
		"raise it (ulimit -Hn, LimitNOFILE=, /etc/security/limits.conf) or lower deploy.parallelism", ErrTooManyOpenFiles, err, limit)
}
