package console

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"
)

// Size is a terminal's size in characters.
type Size struct{ Width, Height int }

// Terminal is the caller's terminal, in raw mode until Restore.
type Terminal struct {
	fd    int
	old   *term.State
	sizes chan Size
	stop  chan struct{}
}

// Raw puts the terminal behind in into raw mode, so that every key
// (Ctrl-C included) goes to the remote command, and watches its size. ok
// is false when in is not a terminal; then nothing changed.
func Raw(in any) (t *Terminal, ok bool, err error) {
	f, isFile := in.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		return nil, false, nil
	}
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, false, err
	}
	t = &Terminal{fd: fd, old: old, sizes: make(chan Size, 1), stop: make(chan struct{})}
	t.watch()
	return t, true, nil
}

// Sizes gives the terminal's size at once and again after every change.
func (t *Terminal) Sizes() <-chan Size { return t.sizes }

// Restore returns the terminal to the mode it had and stops watching it.
func (t *Terminal) Restore() {
	close(t.stop)
	_ = term.Restore(t.fd, t.old)
}

// watch sends the size now and on every SIGWINCH, keeping only the latest
// one unread.
func (t *Terminal) watch() {
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	send := func() {
		w, h, err := term.GetSize(t.fd)
		if err != nil {
			return
		}
		select {
		case <-t.sizes: // drop a size nobody read yet
		default:
		}
		t.sizes <- Size{Width: w, Height: h}
	}
	send()
	go func() {
		defer signal.Stop(winch)
		for {
			select {
			case <-winch:
				send()
			case <-t.stop:
				return
			}
		}
	}()
}

// Follow applies every size from sizes with resize until ctx ends or
// sizes closes. A failed resize is not worth ending a session for.
func Follow(ctx context.Context, sizes <-chan Size, resize func(ctx context.Context, w, h int) error) {
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-sizes:
			if !ok {
				return
			}
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = resize(rctx, s.Width, s.Height)
			cancel()
		}
	}
}
