package sshx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// DefaultKeepaliveInterval is how often an idle connection is probed: a host
// cut off mid-apply is noticed within three intervals. It is the transport's
// own setting, not the configuration's.
const DefaultKeepaliveInterval = 5 * time.Second

// sshPort is the port of a proxy_jump host that names none.
const sshPort = 22

// Options configure a Pool.
type Options struct {
	Config  Config
	Hosts   []Host
	Environ []string // SSH_AUTH_SOCK is taken from here, never from the process
	Logger  *slog.Logger
	// KeepaliveInterval is how often an idle connection is probed; a
	// connection that misses a reply for two intervals is closed.
	// 0 = DefaultKeepaliveInterval.
	KeepaliveInterval time.Duration
}

// Pool holds at most one SSH connection per host.
type Pool struct {
	cfg       Config
	hosts     map[string]Host
	environ   []string
	log       *slog.Logger
	keys      *hostKeys
	keepalive time.Duration

	credMu sync.Mutex
	creds  *credentials

	mu       sync.Mutex
	conns    map[string]*Conn
	inflight map[string]*dialCall
	closed   bool

	jumpMu   sync.Mutex // held while dialling the bastion
	jump     *ssh.Client
	jumpDead chan struct{}

	dials atomic.Int64
}

type dialCall struct {
	done chan struct{}
	conn *Conn
	err  error
}

// NewPool checks the options and returns a pool. It does not dial and does
// not read the identity file yet: that happens on the first Conn.
func NewPool(opts Options) (*Pool, error) {
	cfg := opts.Config
	if err := cfg.check(); err != nil {
		return nil, err
	}
	hosts := make(map[string]Host, len(opts.Hosts))
	for _, h := range opts.Hosts {
		if h.Name == "" || h.Address == "" {
			return nil, fmt.Errorf("ssh: host %q has no name or no address", h.Name)
		}
		if _, dup := hosts[h.Name]; dup {
			return nil, fmt.Errorf("ssh: host %q is declared twice", h.Name)
		}
		hosts[h.Name] = h
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ka := opts.KeepaliveInterval
	if ka <= 0 {
		ka = DefaultKeepaliveInterval
	}
	return &Pool{
		cfg:       cfg,
		hosts:     hosts,
		environ:   opts.Environ,
		log:       log,
		keys:      &hostKeys{path: cfg.KnownHosts, acceptNew: cfg.HostKeyPolicy == PolicyAcceptNew},
		keepalive: ka,
		conns:     map[string]*Conn{},
		inflight:  map[string]*dialCall{},
	}, nil
}

// AddHost makes a host that the configuration does not declare reachable
// under its name (a host that left the configuration, read from the
// service's roster). Adding a host the pool has, with the same address, is
// no error; with another address it is.
func (p *Pool) AddHost(h Host) error {
	if h.Name == "" || h.Address == "" {
		return fmt.Errorf("ssh: host %q has no name or no address", h.Name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if have, ok := p.hosts[h.Name]; ok {
		if have.Address != h.Address {
			return fmt.Errorf("ssh: host %s is %s in the configuration, not %s", h.Name, have.Address, h.Address)
		}
		return nil
	}
	p.hosts[h.Name] = h
	return nil
}

// Dials returns how many connections the pool has opened so far.
func (p *Pool) Dials() int { return int(p.dials.Load()) }

// Conn returns the connection to host, dialling it if there is none or the
// previous one died. Concurrent callers for one host share one dial. The
// dial is bounded by ConnectTimeout and goes on if ctx ends first (the
// connection then waits in the pool for the next caller).
func (p *Pool) Conn(ctx context.Context, host string) (*Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, fmt.Errorf("host %s: ssh pool is closed", host)
	}
	if c := p.conns[host]; c != nil && c.Alive() {
		p.mu.Unlock()
		return c, nil
	}
	call := p.inflight[host]
	if call == nil {
		h, ok := p.hosts[host]
		if !ok {
			p.mu.Unlock()
			return nil, fmt.Errorf("host %s: %w (not declared in the configuration)", host, ErrUnknownHost)
		}
		call = &dialCall{done: make(chan struct{})}
		p.inflight[host] = call
		go p.runDial(context.WithoutCancel(ctx), h, call)
	}
	p.mu.Unlock()
	select {
	case <-call.done:
		return call.conn, call.err
	case <-ctx.Done():
		return nil, fmt.Errorf("host %s: waiting for the ssh connection: %w", host, ctx.Err())
	}
}

func (p *Pool) runDial(ctx context.Context, h Host, call *dialCall) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ConnectTimeout)
	defer cancel()
	start := time.Now()
	c, err := p.dial(ctx, h)
	p.mu.Lock()
	delete(p.inflight, h.Name)
	if err == nil && p.closed {
		_ = c.Close()
		c, err = nil, fmt.Errorf("host %s: ssh pool is closed", h.Name)
	}
	if err == nil {
		if old := p.conns[h.Name]; old != nil {
			_ = old.Close()
		}
		p.conns[h.Name] = c
	}
	p.mu.Unlock()
	if err != nil {
		p.log.Debug("ssh dial failed", "host", h.Name, "err", err)
	} else {
		p.log.Debug("ssh connected", "host", h.Name, "addr", c.addr, "took", time.Since(start))
	}
	call.conn, call.err = c, err
	close(call.done)
}

// Close closes every connection. Conns handed out stop working.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[string]*Conn{}
	p.mu.Unlock()
	var errs []error
	for _, c := range conns {
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	p.jumpMu.Lock()
	if p.jump != nil {
		_ = p.jump.Close()
		p.jump = nil
	}
	p.jumpMu.Unlock()
	p.credMu.Lock()
	p.creds.close()
	p.creds = nil
	p.credMu.Unlock()
	return errors.Join(errs...)
}

func (p *Pool) credentials() (*credentials, error) {
	p.credMu.Lock()
	defer p.credMu.Unlock()
	if p.creds != nil {
		return p.creds, nil
	}
	c, err := loadCredentials(p.cfg.Identity, p.environ)
	if err != nil {
		return nil, err
	}
	p.creds = c
	return c, nil
}

func (p *Pool) dial(ctx context.Context, h Host) (*Conn, error) {
	creds, err := p.credentials()
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", h.Name, err)
	}
	user, port := h.User, h.Port
	if user == "" {
		user = p.cfg.User
	}
	if port == 0 {
		port = p.cfg.Port
	}
	addr := net.JoinHostPort(h.Address, strconv.Itoa(port))

	var raw net.Conn
	if p.cfg.ProxyJump != "" {
		raw, err = p.dialViaJump(ctx, h.Name, addr, creds)
	} else {
		raw, err = (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		switch {
		case err == nil:
		case tooManyFiles(err):
			err = fmt.Errorf("host %s (%s): %w", h.Name, addr, filesErr(err))
		default:
			err = fmt.Errorf("host %s (%s): %w: %v; check that the host is up and sshd listens on port %d", h.Name, addr, ErrUnreachable, err, port)
		}
	}
	if err != nil {
		return nil, err
	}
	p.dials.Add(1)
	client, end, err := p.handshake(ctx, raw, h.Name, addr, user, creds)
	if err != nil {
		return nil, err
	}
	return newConn(h.Name, addr, client, end, p.cfg.CommandTimeout, p.keepalive, p.log), nil
}

// handshake runs the SSH handshake over raw, bounded by ctx.
func (p *Pool) handshake(ctx context.Context, raw net.Conn, name, addr, user string, creds *credentials) (*ssh.Client, *connEnd, error) {
	known := p.keys.lookup(addr) // once per handshake: the algorithms and the check
	config := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{creds.method},
		HostKeyCallback:   p.keys.callback(name, known),
		HostKeyAlgorithms: known.algorithms(),
		Timeout:           p.cfg.ConnectTimeout,
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	c, chans, reqs, err := ssh.NewClientConn(raw, addr, config)
	interrupted := !stop()
	if err != nil {
		_ = raw.Close()
		switch {
		case errors.Is(err, ErrUnknownHostKey), errors.Is(err, ErrHostKeyMismatch):
			return nil, nil, unwrapOurs(err)
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, nil, fmt.Errorf("host %s (%s): %w for user %s with %s: check that the key is in ~%s/.ssh/authorized_keys on the host",
				name, addr, ErrAuth, user, creds.desc, user)
		case interrupted:
			return nil, nil, fmt.Errorf("host %s (%s): %w: ssh handshake did not finish within %s", name, addr, ErrUnreachable, p.cfg.ConnectTimeout)
		default:
			return nil, nil, fmt.Errorf("host %s (%s): %w: ssh handshake: %v", name, addr, ErrUnreachable, err)
		}
	}
	quickAck(raw)
	client := ssh.NewClient(c, chans, noRequests)
	end := &connEnd{done: make(chan struct{})}
	go end.serve(raw, reqs, client)
	return client, end, nil
}

// noRequests is a closed channel: ssh.NewClient's own server-request
// handler given it ends at once, and connEnd.serve does its work.
var noRequests = func() chan *ssh.Request {
	ch := make(chan *ssh.Request)
	close(ch)
	return ch
}()

// connEnd tells when and why a connection ended.
type connEnd struct {
	done chan struct{} // closed when the connection ended
	err  error         // why; set before done is closed
}

// serve answers the server's global requests as x/crypto's client does
// (it wants none of them), acknowledging the TCP segment that carried each
// one at once; when the connection ends, it records why and closes done.
// OpenSSH sends hostkeys-00@openssh.com right after authentication, without
// asking for a reply, on a socket with Nagle's algorithm on: with our ACK
// delayed, the server's next packet (the answer to our first channel open)
// waits for it, about 40 ms on every new connection. One goroutine does
// both jobs, to keep the goroutines per connection few.
func (e *connEnd) serve(raw net.Conn, in <-chan *ssh.Request, client *ssh.Client) {
	for r := range in {
		quickAck(raw)
		if r.WantReply {
			_ = r.Reply(false, nil)
		}
	}
	e.err = client.Wait()
	close(e.done)
}

// unwrapOurs strips the library's "ssh: handshake failed: " prefix from an
// error that the host key callback produced, keeping it matchable.
func unwrapOurs(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if strings.HasPrefix(e.Error(), "host ") {
			return e
		}
	}
	return err
}

// dialViaJump opens a TCP channel to addr through the bastion connection,
// which every host shares.
func (p *Pool) dialViaJump(ctx context.Context, name, addr string, creds *credentials) (net.Conn, error) {
	bastion, jhost, err := p.bastionConn(ctx, name, creds)
	if err != nil {
		return nil, err
	}
	conn, err := bastion.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("host %s (%s): %w through proxy_jump %s: %v", name, addr, ErrUnreachable, jhost, err)
	}
	return conn, nil
}

// bastionConn returns the connection to the proxy_jump host, dialling it
// (once for all hosts) when there is none or it died.
func (p *Pool) bastionConn(ctx context.Context, name string, creds *credentials) (*ssh.Client, string, error) {
	juser, jhost, jport, _ := parseJump(p.cfg.ProxyJump)
	p.jumpMu.Lock()
	defer p.jumpMu.Unlock()
	if p.jump != nil {
		select {
		case <-p.jumpDead:
		default:
			return p.jump, jhost, nil
		}
	}
	if juser == "" {
		juser = p.cfg.User
	}
	jaddr := net.JoinHostPort(jhost, strconv.Itoa(jport))
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", jaddr)
	if err != nil && tooManyFiles(err) {
		return nil, jhost, fmt.Errorf("host %s: proxy_jump %s (%s): %w", name, jhost, jaddr, filesErr(err))
	}
	if err != nil {
		return nil, jhost, fmt.Errorf("host %s: proxy_jump %s (%s): %w: %v", name, jhost, jaddr, ErrUnreachable, err)
	}
	p.dials.Add(1)
	bastion, end, err := p.handshake(ctx, raw, "bastion "+jhost, jaddr, juser, creds)
	if err != nil {
		return nil, jhost, fmt.Errorf("host %s: via proxy_jump: %w", name, err)
	}
	p.jump, p.jumpDead = bastion, end.done
	return bastion, jhost, nil
}

// parseJump splits "[user@]host[:port]".
func parseJump(s string) (user, host string, port int, err error) {
	rest := s
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		user, rest = rest[:i], rest[i+1:]
	}
	host, port = rest, sshPort
	if h, ps, e := net.SplitHostPort(rest); e == nil {
		n, perr := strconv.Atoi(ps)
		if perr != nil || n <= 0 || n > 65535 {
			return "", "", 0, fmt.Errorf("ssh: proxy_jump %q: bad port %q", s, ps)
		}
		host, port = h, n
	}
	if host == "" || strings.ContainsAny(host, " /,") {
		return "", "", 0, fmt.Errorf("ssh: proxy_jump %q is not [user@]host[:port]", s)
	}
	return user, host, port, nil
}
