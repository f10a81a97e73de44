package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// openChannel opens a channel to network addr on the host: a
// direct-streamlocal@openssh.com channel for "unix" (a socket path such as
// the Docker daemon's), direct-tcpip for "tcp" ("ip:port"). It does what
// ssh.Client.Dial does, with one difference measured on big fleets: that
// one drains each channel's (never used) stderr with io.Copy, which holds
// an 8 kB buffer for the channel's whole life: 80 MB for each Docker
// connection per host of a 10,000-host fleet (a plan keeps one per host,
// an apply with five roles five); here the drain reads through 256 bytes.
//
// When ctx ends before the host answered, it returns ctx's error and
// closes the channel once the answer comes. act (nil: none) counts the
// open, and each request written on the channel until its answer, as
// awaited.
func openChannel(ctx context.Context, client ssh.Conn, act *activity, network, addr string) (net.Conn, error) {
	kind, payload, err := channelOpen(network, addr)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		act.begin()
		ch, reqs, err := client.OpenChannel(kind, payload)
		act.end()
		if err != nil {
			done <- result{nil, err}
			return
		}
		go ssh.DiscardRequests(reqs)
		go drain(ch.Stderr())
		done <- result{&channelConn{Channel: ch, network: network, addr: addr, act: act}, nil}
	}()
	select {
	case r := <-done:
		return r.conn, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.conn != nil {
				_ = r.conn.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// channelOpen is the channel type and the open message for network addr
// (RFC 4254 7.2; OpenSSH's PROTOCOL 2.4 for streamlocal).
func channelOpen(network, addr string) (kind string, payload []byte, err error) {
	switch network {
	case "unix":
		return "direct-streamlocal@openssh.com", ssh.Marshal(&struct {
			Path      string
			Reserved0 string
			Reserved1 uint32
		}{Path: addr}), nil
	case "tcp", "tcp4", "tcp6":
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return "", nil, err
		}
		port, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return "", nil, fmt.Errorf("port of %q: %w", addr, err)
		}
		return "direct-tcpip", ssh.Marshal(&struct {
			RemoteHost string
			RemotePort uint32
			OriginHost string
			OriginPort uint32
		}{RemoteHost: host, RemotePort: uint32(port), OriginHost: "0.0.0.0"}), nil
	}
	return "", nil, fmt.Errorf("network %q: only unix and tcp can be forwarded", network)
}

// drain reads r to its end through a small buffer.
func drain(r io.Reader) {
	var buf [256]byte
	for {
		if _, err := r.Read(buf[:]); err != nil {
			return
		}
	}
}

// channelConn is a channel as a net.Conn, without deadlines (as
// ssh.Client.Dial's connections). What is written on it awaits an answer
// until something is read (an HTTP request, its response).
type channelConn struct {
	ssh.Channel
	network, addr string
	act           *activity
	waiting       atomic.Bool // a write awaits its answer (counted in act)
}

func (c *channelConn) Write(p []byte) (int, error) {
	if len(p) > 0 && c.waiting.CompareAndSwap(false, true) {
		c.act.begin()
	}
	return c.Channel.Write(p)
}

func (c *channelConn) Read(p []byte) (int, error) {
	n, err := c.Channel.Read(p)
	if n > 0 || err != nil {
		c.heard()
	}
	return n, err
}

func (c *channelConn) Close() error {
	c.heard()
	return c.Channel.Close()
}

// heard ends the wait of the last write, if any.
func (c *channelConn) heard() {
	if c.waiting.CompareAndSwap(true, false) {
		c.act.end()
	}
}

var _ net.Conn = (*channelConn)(nil)

type channelAddr struct{ network, addr string }

func (a channelAddr) Network() string { return a.network }
func (a channelAddr) String() string  { return a.addr }

func (c *channelConn) LocalAddr() net.Addr  { return channelAddr{c.network, "ssh"} }
func (c *channelConn) RemoteAddr() net.Addr { return channelAddr{c.network, c.addr} }

var errNoDeadline = errors.New("ssh channel: deadline not supported")

func (c *channelConn) SetDeadline(time.Time) error      { return errNoDeadline }
func (c *channelConn) SetReadDeadline(time.Time) error  { return errNoDeadline }
func (c *channelConn) SetWriteDeadline(time.Time) error { return errNoDeadline }
