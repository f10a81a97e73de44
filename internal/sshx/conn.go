package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Conn is one SSH connection to a host. It is safe for concurrent use: each
// Run opens its own session and each DialContext its own channel.
type Conn struct {
	host       string
	addr       string
	client     *ssh.Client
	cmdTimeout time.Duration
	log        *slog.Logger
	dead       chan struct{} // closed when the connection ended
	end        *connEnd      // why it ended, once dead is closed
	sessions   chan struct{} // one token per session open at once
	probe      *time.Timer   // the next keepalive
	activity   *activity     // when it last read and wrote; nil = probe every interval
}

// MaxSessions is how many commands one connection runs at once; more
// wait. OpenSSH refuses sessions beyond its MaxSessions (default 10) with
// "administratively prohibited"; forwarded sockets do not count.
const MaxSessions = 8

// newConn wraps a connection made by handshake. It starts no goroutine of
// its own: the one serving the server's global requests notices the end
// (connEnd), and a timer sends the keepalives.
func newConn(host, addr string, client *ssh.Client, end *connEnd, act *activity, cmdTimeout, keepalive time.Duration, log *slog.Logger) *Conn {
	c := &Conn{host: host, addr: addr, client: client, cmdTimeout: cmdTimeout, log: log,
		dead: end.done, end: end, activity: act, sessions: make(chan struct{}, MaxSessions)}
	c.probe = time.AfterFunc(time.Hour, func() { c.keepalive(keepalive) })
	c.probe.Stop()
	c.probe.Reset(keepalive)
	return c
}

// Host is the configured name of the host.
func (c *Conn) Host() string { return c.host }

// Alive reports whether the connection is still up, as far as is known.
func (c *Conn) Alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

// Close ends the connection.
func (c *Conn) Close() error {
	return c.client.Close()
}

// keepalive sends keepalive@openssh.com, then schedules the next one an
// interval later; a connection whose reply has not come back within two
// intervals is closed. A connection that awaits nothing, and was heard
// from within idleProbeEvery intervals, is not probed this time. It runs on the timer's goroutine, which exists
// only while a probe is out.
func (c *Conn) keepalive(interval time.Duration) {
	if !c.Alive() {
		return
	}
	if c.activity != nil && !c.activity.needsProbe(time.Now(), interval) {
		c.probe.Reset(interval)
		return
	}
	watchdog := time.AfterFunc(2*interval, func() {
		c.log.Debug("ssh keepalive unanswered, closing", "host", c.host)
		_ = c.client.Close()
	})
	_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
	if !watchdog.Stop() {
		return // closed by the watchdog
	}
	if err != nil {
		c.log.Debug("ssh keepalive failed", "host", c.host, "err", err)
		_ = c.client.Close()
		return
	}
	if c.Alive() {
		c.probe.Reset(interval)
	}
}

// lost wraps err as a lost connection if the connection is gone.
func (c *Conn) lost(what string, err error) error {
	if !c.Alive() || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("host %s (%s): %w: connection lost during %s: %v", c.host, c.addr, ErrUnreachable, what, err)
	}
	return fmt.Errorf("host %s (%s): %s: %w", c.host, c.addr, what, err)
}

// Run runs cmd in a new session, feeding it stdin (may be nil), and returns
// its stdout. A non-zero exit gives an *ExitError carrying stderr. The
// command is bounded by the command timeout unless ctx ends earlier; when it
// does, the remote process is sent SIGTERM and the session is closed.
// cmd appears in errors and, on the host, in process listings: never put a
// secret in it; hand secrets over on stdin.
func (c *Conn) Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cmdTimeout)
	defer cancel()
	c.activity.begin()
	defer c.activity.end()
	select {
	case c.sessions <- struct{}{}:
		defer func() { <-c.sessions }()
	case <-ctx.Done():
		return nil, c.ctxErr(ctx, cmd)
	case <-c.dead:
		return nil, c.lost("opening a session", c.end.err)
	}
	sess, err := c.openSession(ctx, cmd)
	if err != nil {
		return nil, err
	}
	defer sess.Close()

	var stdout bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &limitedBuffer{max: 8 << 10}
	if stdin != nil {
		sess.Stdin = stdin
	}
	stderrBuf := sess.Stderr.(*limitedBuffer)
	if err := sess.Start(cmd); err != nil {
		return nil, c.lost("starting "+quote(cmd), err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err := <-done:
		return stdout.Bytes(), c.exitErr(cmd, err, stderrBuf.String())
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGTERM)
		_ = sess.Close()
		return nil, c.ctxErr(ctx, cmd)
	case <-c.dead:
		return nil, c.lost("running "+quote(cmd), c.end.err)
	}
}

// sessionRetry is how long a refused session open is retried: sshd frees
// a session slot only after reaping its process, a little after the
// previous command ended, so a burst can be refused for a moment.
const sessionRetry = 3 * time.Second

// openSession opens a session, retrying for a moment when the server
// refuses it (the command has not started, so this is safe).
func (c *Conn) openSession(ctx context.Context, cmd string) (*ssh.Session, error) {
	type result struct {
		sess *ssh.Session
		err  error
	}
	deadline := time.Now().Add(sessionRetry)
	wait := 10 * time.Millisecond
	for {
		opened := make(chan result, 1)
		go func() {
			s, err := c.client.NewSession()
			opened <- result{s, err}
		}()
		select {
		case r := <-opened:
			var refused *ssh.OpenChannelError
			if r.err == nil {
				return r.sess, nil
			}
			if !errors.As(r.err, &refused) || time.Now().After(deadline) {
				return nil, c.lost("opening a session", r.err)
			}
			c.log.Debug("ssh session refused, retrying", "host", c.host, "err", r.err)
		case <-ctx.Done():
			go func() {
				if r := <-opened; r.sess != nil {
					_ = r.sess.Close()
				}
			}()
			return nil, c.ctxErr(ctx, cmd)
		case <-c.dead:
			return nil, c.lost("opening a session", c.end.err)
		}
		select {
		case <-time.After(wait):
			wait = min(2*wait, 200*time.Millisecond)
		case <-ctx.Done():
			return nil, c.ctxErr(ctx, cmd)
		case <-c.dead:
			return nil, c.lost("opening a session", c.end.err)
		}
	}
}

func (c *Conn) exitErr(cmd string, err error, stderr string) error {
	if err == nil {
		return nil
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return &ExitError{Host: c.host, Cmd: cmd, Status: ee.ExitStatus(), Signal: ee.Signal(), Stderr: strings.TrimSpace(stderr)}
	}
	var em *ssh.ExitMissingError
	if errors.As(err, &em) {
		return fmt.Errorf("host %s (%s): %w: command %q ended without an exit status (connection lost?)", c.host, c.addr, ErrUnreachable, cmd)
	}
	return c.lost("running "+quote(cmd), err)
}

func (c *Conn) ctxErr(ctx context.Context, cmd string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("host %s: command %q: %w (deadline reached): %w", c.host, cmd, ErrCommandTimeout, ctx.Err())
	}
	return fmt.Errorf("host %s: command %q: %w", c.host, cmd, ctx.Err())
}

// DialContext opens a connection from the host to addr: network "unix" for
// a socket path such as /var/run/docker.sock, or "tcp" for "ip:port". The
// connection travels inside the SSH connection; it does not support
// deadlines.
func (c *Conn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if !c.Alive() {
		return nil, c.lost("forwarding to "+network+" "+addr, c.end.err)
	}
	conn, err := openChannel(ctx, c.client, c.activity, network, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("host %s: forwarding to %s %s: %w", c.host, network, addr, ctx.Err())
		}
		return nil, c.lost("forwarding to "+network+" "+addr, err)
	}
	return conn, nil
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// limitedBuffer keeps the last max bytes written to it.
type limitedBuffer struct {
	max int
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = b.buf[len(b.buf)-b.max:]
	}
	return len(p), nil
}

// ReadFrom copies r through a small buffer: io.Copy, which the SSH
// session runs for stderr, would take 32 kB for every command, most of
// which write nothing to stderr at all.
func (b *limitedBuffer) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	buf := make([]byte, 1024)
	for {
		k, err := r.Read(buf)
		n += int64(k)
		_, _ = b.Write(buf[:k])
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (b *limitedBuffer) String() string { return string(b.buf) }
