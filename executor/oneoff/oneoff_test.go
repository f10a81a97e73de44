package oneoff

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/berth-sh/berth/internal/dockerapi"
)

type fake struct {
	mu      sync.Mutex
	spec    dockerapi.CreateSpec
	calls   []string
	server  net.Conn
	output  [][2]string // (stream, text) frames written once started
	code    int
	hang    bool // keep the stream open after the output
	started chan struct{}
}

func (f *fake) log(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fake) Create(_ context.Context, name string, spec dockerapi.CreateSpec) (string, error) {
	f.log("create " + name[:strings.LastIndex(name, "-")])
	f.spec = spec
	return "id1", nil
}

func (f *fake) Attach(context.Context, string) (net.Conn, *bufio.Reader, error) {
	f.log("attach")
	client, server := net.Pipe()
	f.server = server
	return client, bufio.NewReader(client), nil
}

func (f *fake) Start(context.Context, string) error {
	f.log("start")
	go func() {
		for _, o := range f.output {
			h := make([]byte, 8)
			h[0] = 1
			if o[0] == "err" {
				h[0] = 2
			}
			binary.BigEndian.PutUint32(h[4:], uint32(len(o[1])))
			f.server.Write(append(h, o[1]...))
		}
		close(f.started)
		if !f.hang {
			f.server.Close()
		}
	}()
	return nil
}

func (f *fake) Wait(context.Context, string, string) (int, error) {
	f.log("wait")
	return f.code, nil
}

func (f *fake) ResizeTTY(context.Context, string, int, int) error { return nil }

func (f *fake) Remove(_ context.Context, id string, force bool) error {
	if force {
		f.log("remove " + id)
	}
	return nil
}

func TestRunSplitsOutputReturnsStatusAndRemoves(t *testing.T) {
	f := &fake{output: [][2]string{{"out", "hello\n"}, {"err", "oops\n"}}, code: 3, started: make(chan struct{})}
	var out, errw strings.Builder
	code, err := Run(context.Background(), f, Spec{Service: "shop", Role: "web", Image: "reg/app:v1@sha256:aa", Cmd: []string{"/app", "x"}, Env: []string{"K=secret"},
		Network: "berth-shop"}, Streams{Out: &out, Err: &errw})
	if err != nil || code != 3 {
		t.Fatalf("Run = %d, %v; want 3, nil", code, err)
	}
	if out.String() != "hello\n" || errw.String() != "oops\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errw.String())
	}
	if got := strings.Join(f.calls, ","); got != "create shop-web-run,attach,start,wait,remove id1" {
		t.Errorf("calls = %s", got)
	}
	if f.spec.Labels[Label] != "shop" || f.spec.Labels["berth.service"] != "" || f.spec.Env[0] != "K=secret" || f.spec.OpenStdin || f.spec.Tty || f.spec.Network != "berth-shop" {
		t.Errorf("spec = %+v", f.spec)
	}
}

func TestRunInterruptedStillRemoves(t *testing.T) {
	f := &fake{output: [][2]string{{"out", "working\n"}}, hang: true, started: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-f.started; cancel() }()
	var out strings.Builder
	_, err := Run(ctx, f, Spec{Service: "shop", Role: "web"}, Streams{Out: &out, Err: &out})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if last := f.calls[len(f.calls)-1]; last != "remove id1" {
		t.Errorf("calls = %v: the container was not removed", f.calls)
	}
}
