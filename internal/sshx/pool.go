package sshx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// DefaultKeepaliveInterval is how often an idle connection is probed: a host
// cut off mid-apply is noticed within three intervals. It is the transport's
// own setting, not the configuration's.
const DefaultKeepaliveInterval = 5 * time.Second

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
	keepalive time.Duration

	credMu sync.Mutex
	creds  map[string]*credentials // by identity file

	keysMu sync.Mutex
	keys   map[string]*hostKeys // by known_hosts file

	mu       sync.Mutex
	conns    map[string]*Conn
	inflight map[string]*dialCall
	closed   bool

	jumpMu sync.Mutex          // held while dialling a bastion
	jumps  map[string]*bastion // by proxy jump

	dials atomic.Int64
}

// bastion is the connection to one proxy jump host, shared by its hosts.
type bastion struct {
	client *ssh.Client
	dead   chan struct{}
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
		if err := h.check(); err != nil {
			return nil, err
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
		creds:     map[string]*credentials{},
		keys:      map[string]*hostKeys{},
		jumps:     map[string]*bastion{},
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
	if err := h.check(); err != nil {
		return err
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

// Release closes the connection to host, if the pool has one: a command
// that is done with a host gives its memory and descriptor back (a later
// Conn dials again). Conns of the host handed out stop working.
func (p *Pool) Release(host string) {
	p.mu.Lock()
	c := p.conns[host]
	delete(p.conns, host)
	p.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
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
	for k, b := range p.jumps {
		_ = b.client.Close()
		delete(p.jumps, k)
	}
	p.jumpMu.Unlock()
	p.credMu.Lock()
	for k, c := range p.creds {
		c.close()
		delete(p.creds, k)
	}
	p.credMu.Unlock()
	return errors.Join(errs...)
}

// noRequests is a closed channel: ssh.NewClient's own server-request
// handler given it ends at once, and connEnd.serve does its work.
var noRequests = func() chan *ssh.Request {
	ch := make(chan *ssh.Request)
	close(ch)
	return ch
}()
