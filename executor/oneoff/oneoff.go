package oneoff

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/berth-sh/berth/executor/console"
	"github.com/berth-sh/berth/internal/dockerapi"
)

// Label marks a one-off container with its service. It is not
// berth.service on purpose: a one-off container is never part of a plan.
const Label = "berth.oneoff"

// Docker is what a one-off run needs of a host's Docker daemon.
type Docker interface {
	Create(ctx context.Context, name string, spec dockerapi.CreateSpec) (string, error)
	Attach(ctx context.Context, id string) (net.Conn, *bufio.Reader, error)
	Start(ctx context.Context, id string) error
	Wait(ctx context.Context, id, condition string) (int, error)
	Remove(ctx context.Context, id string, force bool) error
	ResizeTTY(ctx context.Context, id string, width, height int) error
}

// Spec is the one-off container to run.
type Spec struct {
	Service string
	Role    string
	Image   string   // the deployed reference, repo:tag@sha256:...
	Cmd     []string // the command, an argv (no shell)
	Env     []string // "K=V", secrets included: never logged
	Volumes []string
	// Network is the Docker network to run on ("" = the default bridge):
	// the role's, so that the command reaches the accessories by name.
	Network string
	// Interactive keeps stdin open and attached; TTY gives the container a
	// terminal (then output is not split into stdout and stderr).
	Interactive, TTY bool
}

// Streams are the caller's ends. Sizes, when not nil, carries the
// terminal's size (see console.Terminal), given to a TTY container.
type Streams struct {
	In       io.Reader // read only when Interactive
	Out, Err io.Writer
	Sizes    <-chan console.Size
}

// Run creates the container, attaches to it, starts it, copies its output
// until it exits and returns its exit status. The container is removed
// whatever happens; cancelling ctx kills it.
func Run(ctx context.Context, d Docker, s Spec, st Streams) (int, error) {
	name := fmt.Sprintf("%s-%s-run-%s", s.Service, s.Role, suffix())
	id, err := d.Create(ctx, name, dockerapi.CreateSpec{
		Image:     s.Image,
		Cmd:       s.Cmd,
		Env:       s.Env,
		Labels:    map[string]string{Label: s.Service, Label + ".role": s.Role},
		Binds:     s.Volumes,
		Network:   s.Network,
		Tty:       s.TTY,
		OpenStdin: s.Interactive,
	})
	if err != nil {
		return -1, fmt.Errorf("create the one-off container: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := d.Remove(rctx, id, true); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			fmt.Fprintf(st.Err, "Warning: removing the one-off container %s: %v\n", name, err)
		}
	}()
	conn, br, err := d.Attach(ctx, id)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := d.Start(ctx, id); err != nil {
		return -1, fmt.Errorf("start the one-off container: %w", err)
	}
	if s.TTY && st.Sizes != nil {
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go console.Follow(fctx, st.Sizes, func(ctx context.Context, w, h int) error { return d.ResizeTTY(ctx, id, w, h) })
	}
	if s.Interactive && st.In != nil {
		go console.CopyIn(conn, st.In)
	}
	var copyErr error
	if s.TTY {
		_, copyErr = copyOut(st.Out, br)
	} else {
		copyErr = dockerapi.Demux(st.Out, st.Err, br)
	}
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	code, err := d.Wait(ctx, id, "not-running")
	if err != nil {
		return -1, err
	}
	if copyErr != nil && !errors.Is(copyErr, net.ErrClosed) {
		return code, fmt.Errorf("reading the output: %w", copyErr)
	}
	return code, nil
}

func copyOut(w io.Writer, r io.Reader) (int64, error) {
	n, err := io.Copy(w, r)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

func suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
