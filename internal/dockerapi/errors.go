package dockerapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// dialError marks a failure to open a connection to the daemon's socket.
type dialError struct {
	socket string
	err    error
}

func (e *dialError) Error() string {
	return fmt.Sprintf("%v at %s (is dockerd running on the host?): %v", ErrDaemonUnreachable, e.socket, e.err)
}

func (e *dialError) Unwrap() []error { return []error{ErrDaemonUnreachable, e.err} }

// dialer wraps d so that its failures say what could not be reached.
func dialer(d Dialer, socket string) func(ctx context.Context, _, _ string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		c, err := d.DialContext(ctx, "unix", socket)
		if err != nil && ctx.Err() == nil {
			return nil, &dialError{socket: socket, err: err}
		}
		return c, err
	}
}

// Sentinel errors for errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrDaemonUnreachable: no connection to the daemon's socket could be
	// opened (dockerd not running, or the SSH connection is gone).
	ErrDaemonUnreachable = errors.New("cannot reach the Docker daemon")
)

// APIError is an error answer of the Docker daemon.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("docker answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// Is makes a 404 match ErrNotFound and a 409 match ErrConflict.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}
