package sshx

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
)

// Forward is a port the host listens on (tcpip-forward), whose every
// connection berth carries back through the SSH connection to a local
// address. Close stops listening.
type Forward struct {
	l    net.Listener
	wg   sync.WaitGroup
	once sync.Once
}

// ForwardRemote asks the host to listen on remote (e.g. "127.0.0.1:5555",
// the host's loopback: nothing is opened on its network addresses) and
// connects each connection made there to dial's. It returns once the host
// listens.
func (c *Conn) ForwardRemote(ctx context.Context, remote string, dial func(context.Context) (net.Conn, error)) (*Forward, error) {
	if !c.Alive() {
		return nil, c.lost("listening on "+remote, c.end.err)
	}
	type result struct {
		l   net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		l, err := c.client.Listen("tcp", remote)
		ch <- result{l, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.l != nil {
				r.l.Close()
			}
		}()
		return nil, fmt.Errorf("host %s: listening on %s: %w", c.host, remote, ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("host %s: listening on %s through SSH (is the port taken, or AllowTcpForwarding off?): %w", c.host, remote, r.err)
	}
	f := &Forward{l: r.l}
	f.wg.Add(1)
	go f.serve(dial)
	return f, nil
}

func (f *Forward) serve(dial func(context.Context) (net.Conn, error)) {
	defer f.wg.Done()
	for {
		in, err := f.l.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer in.Close()
			out, err := dial(context.Background())
			if err != nil {
				return
			}
			defer out.Close()
			pipe(in, out)
		}()
	}
}

// pipe copies both ways until either side ends, then closes both (HTTP,
// the only traffic here, never half-closes on purpose).
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	a.Close()
	b.Close()
	<-done
}

// Close stops listening on the host; connections already carried finish.
func (f *Forward) Close() error {
	var err error
	f.once.Do(func() { err = f.l.Close() })
	return err
}
