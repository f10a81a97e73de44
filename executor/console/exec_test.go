package console

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// fake is a daemon whose exec echoes its stdin, upper-cased, line by line,
// until stdin ends, then exits with code.
type fake struct {
	mu      sync.Mutex
	cfg     dockerapi.ExecConfig
	sizes   []Size
	code    int
	done    chan struct{}
	resized chan struct{}
}

func (f *fake) ExecCreate(_ context.Context, _ string, e dockerapi.ExecConfig) (string, error) {
	f.cfg = e
	return "exec1", nil
}

func (f *fake) ExecStart(_ context.Context, _ string, tty bool) (net.Conn, io.Reader, error) {
	client, server := net.Pipe()
	go func() {
		defer close(f.done)
		defer server.Close()
		sc := bufio.NewScanner(server)
		for sc.Scan() {
			out := strings.ToUpper(sc.Text()) + "\n"
			if sc.Text() == "exit" {
				return
			}
			if !tty {
				h := make([]byte, 8)
				h[0] = 1
				binary.BigEndian.PutUint32(h[4:], uint32(len(out)))
				out = string(h) + out
			}
			if _, err := server.Write([]byte(out)); err != nil {
				return
			}
		}
	}()
	return client, client, nil
}

func (f *fake) ExecResize(_ context.Context, _ string, w, h int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sizes = append(f.sizes, Size{w, h})
	select {
	case f.resized <- struct{}{}:
	default:
	}
	return nil
}

func (f *fake) ExecInspect(context.Context, string) (bool, int, error) {
	select {
	case <-f.done:
		return false, f.code, nil
	default:
		return true, 0, nil
	}
}

func TestExecWithTTYForwardsInputSizesAndStatus(t *testing.T) {
	f := &fake{code: 3, done: make(chan struct{}), resized: make(chan struct{}, 1)}
	inR, inW := io.Pipe()
	sizes := make(chan Size, 1)
	sizes <- Size{120, 40}
	var out strings.Builder
	type result struct {
		code int
		err  error
	}
	res := make(chan result, 1)
	go func() {
		code, err := Exec(context.Background(), f, "c1", Spec{Cmd: []string{"sh"}, Interactive: true, TTY: true},
			Streams{In: inR, Out: &out, Sizes: sizes})
		res <- result{code, err}
	}()
	select {
	case <-f.resized:
	case <-time.After(5 * time.Second):
		t.Fatal("the terminal size never reached the exec")
	}
	io.WriteString(inW, "echo hi\nexit\n")
	select {
	case r := <-res:
		if r.err != nil || r.code != 3 {
			t.Fatalf("Exec = %d, %v; want 3, nil", r.code, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Exec did not return after exit")
	}
	if out.String() != "ECHO HI\n" {
		t.Errorf("output %q", out.String())
	}
	if !f.cfg.Tty || !f.cfg.Stdin || f.sizes[0] != (Size{120, 40}) {
		t.Errorf("config %+v, sizes %v", f.cfg, f.sizes)
	}
}

func TestExecWithoutTTYDemuxesAndClosesStdin(t *testing.T) {
	f := &fake{done: make(chan struct{})}
	var out, errw strings.Builder
	code, err := Exec(context.Background(), f, "c1", Spec{Cmd: []string{"cat"}, Interactive: true},
		Streams{In: strings.NewReader("a\nb\nexit\n"), Out: &out, Err: &errw})
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	if out.String() != "A\nB\n" || f.cfg.Tty {
		t.Errorf("output %q, config %+v", out.String(), f.cfg)
	}
}
