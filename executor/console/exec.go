package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// Docker is what a session needs of a host's Docker daemon.
type Docker interface {
	ExecCreate(ctx context.Context, id string, e dockerapi.ExecConfig) (string, error)
	ExecStart(ctx context.Context, execID string, tty bool) (net.Conn, io.Reader, error)
	ExecResize(ctx context.Context, execID string, width, height int) error
	ExecInspect(ctx context.Context, execID string) (running bool, code int, err error)
}

var _ Docker = (*dockerapi.Client)(nil)

// Spec is the command to run.
type Spec struct {
	Cmd []string // an argv, no shell
	// Interactive attaches Streams.In; TTY gives the command a terminal.
	Interactive, TTY bool
}

// Streams are the caller's ends. Sizes, when not nil, carries the
// terminal's size: the first one at once, then each change.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
	Sizes    <-chan Size
}

// exitWait bounds the wait for the daemon to record the exit code after
// the command's output ended.
const exitWait = 10 * time.Second

// Exec runs s.Cmd in running container id and returns its exit status.
// Cancelling ctx ends the session (the command may go on in the
// container: docker exec has no kill).
func Exec(ctx context.Context, d Docker, id string, s Spec, st Streams) (int, error) {
	execID, err := d.ExecCreate(ctx, id, dockerapi.ExecConfig{Cmd: s.Cmd, Stdin: s.Interactive, Tty: s.TTY})
	if err != nil {
		return -1, err
	}
	conn, r, err := d.ExecStart(ctx, execID, s.TTY)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if s.TTY && st.Sizes != nil {
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go Follow(fctx, st.Sizes, func(ctx context.Context, w, h int) error { return d.ExecResize(ctx, execID, w, h) })
	}
	if s.Interactive && st.In != nil {
		go CopyIn(conn, st.In)
	}
	var copyErr error
	if s.TTY {
		_, copyErr = io.Copy(st.Out, r)
	} else {
		copyErr = dockerapi.Demux(st.Out, st.Err, r)
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	code, err := exitCode(ctx, d, execID)
	if err != nil {
		return -1, err
	}
	if copyErr != nil && !errors.Is(copyErr, net.ErrClosed) && !errors.Is(copyErr, io.EOF) {
		return code, fmt.Errorf("reading the output: %w", copyErr)
	}
	return code, nil
}

// exitCode polls the exec until the daemon says it ended.
func exitCode(ctx context.Context, d Docker, execID string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, exitWait)
	defer cancel()
	for {
		running, code, err := d.ExecInspect(ctx, execID)
		if err != nil {
			return -1, err
		}
		if !running {
			return code, nil
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("the command's output ended but it still runs after %s", exitWait)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// CopyIn sends the caller's input and then closes the command's stdin.
func CopyIn(conn net.Conn, in io.Reader) {
	_, _ = io.Copy(conn, in)
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
