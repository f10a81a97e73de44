package sshx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Dialling one host: TCP (directly or through the proxy_jump bastion), the
// SSH handshake with the verified host key, and the watch on the connection.

// sshPort is the port of a proxy_jump host that names none.
const sshPort = 22

// CheckCredentials loads the identity file and the agent now, so that a
// key that cannot be used is one local error, not one per host.
func (p *Pool) CheckCredentials() error {
	p.mu.Lock()
	used := map[string]bool{}
	for _, h := range p.hosts {
		used[cmp.Or(h.Identity, p.cfg.Identity)] = true
	}
	p.mu.Unlock()
	for _, id := range slices.Sorted(maps.Keys(used)) {
		if _, err := p.credentials(id); err != nil {
			return err
		}
	}
	return nil
}

// credentials are the keys of an identity file (and the agent's), loaded
// once per file.
func (p *Pool) credentials(identity string) (*credentials, error) {
	p.credMu.Lock()
	defer p.credMu.Unlock()
	if c := p.creds[identity]; c != nil {
		return c, nil
	}
	c, err := loadCredentials(identity, p.environ)
	if err != nil {
		return nil, err
	}
	p.creds[identity] = c
	return c, nil
}

// hostKeysOf is the host key cache of a known_hosts file, one per file.
func (p *Pool) hostKeysOf(path string) *hostKeys {
	p.keysMu.Lock()
	defer p.keysMu.Unlock()
	k := p.keys[path]
	if k == nil {
		k = &hostKeys{path: path, acceptNew: p.cfg.HostKeyPolicy == PolicyAcceptNew}
		p.keys[path] = k
	}
	return k
}

// settings are h's own identity, known_hosts and proxy jump, else Config's.
func (p *Pool) settings(h Host) Host {
	if h.User == "" {
		h.User = p.cfg.User
	}
	if h.Port == 0 {
		h.Port = p.cfg.Port
	}
	if h.Identity == "" {
		h.Identity = p.cfg.Identity
	}
	if h.KnownHosts == "" {
		h.KnownHosts = p.cfg.KnownHosts
	}
	if h.ProxyJump == "" {
		h.ProxyJump = p.cfg.ProxyJump
	}
	return h
}

func (p *Pool) dial(ctx context.Context, h Host) (*Conn, error) {
	h = p.settings(h)
	creds, err := p.credentials(h.Identity)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", h.Name, err)
	}
	user, port, keys := h.User, h.Port, p.hostKeysOf(h.KnownHosts)
	addr := net.JoinHostPort(h.Address, strconv.Itoa(port))

	var raw net.Conn
	if h.ProxyJump != "" {
		raw, err = p.dialViaJump(ctx, h, addr, creds, keys)
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
	act := newActivity(raw)
	client, end, err := p.handshake(ctx, act, h.Name, addr, user, creds, keys)
	if err != nil {
		return nil, err
	}
	return newConn(h.Name, addr, client, end, act, p.cfg.CommandTimeout, p.keepalive, p.log), nil
}

// handshake runs the SSH handshake over raw, bounded by ctx.
func (p *Pool) handshake(ctx context.Context, raw net.Conn, name, addr, user string, creds *credentials, keys *hostKeys) (*ssh.Client, *connEnd, error) {
	known := keys.lookup(addr) // once per handshake: the algorithms and the check
	config := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{creds.method},
		HostKeyCallback:   keys.callback(name, known),
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
// which every host behind that bastion shares. The bastion's key is
// checked in the host's known_hosts file, with the host's credentials.
func (p *Pool) dialViaJump(ctx context.Context, h Host, addr string, creds *credentials, keys *hostKeys) (net.Conn, error) {
	bastion, jhost, err := p.bastionConn(ctx, h, creds, keys)
	if err != nil {
		return nil, err
	}
	conn, err := bastion.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("host %s (%s): %w through proxy_jump %s: %v", h.Name, addr, ErrUnreachable, jhost, err)
	}
	return conn, nil
}

// bastionConn returns the connection to h's proxy_jump host, dialling it
// (once for all its hosts) when there is none or it died.
func (p *Pool) bastionConn(ctx context.Context, h Host, creds *credentials, keys *hostKeys) (*ssh.Client, string, error) {
	name := h.Name
	juser, jhost, jport, _ := parseJump(h.ProxyJump)
	p.jumpMu.Lock()
	defer p.jumpMu.Unlock()
	if b := p.jumps[h.ProxyJump]; b != nil {
		select {
		case <-b.dead:
		default:
			return b.client, jhost, nil
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
	client, end, err := p.handshake(ctx, raw, "bastion "+jhost, jaddr, juser, creds, keys)
	if err != nil {
		return nil, jhost, fmt.Errorf("host %s: via proxy_jump: %w", name, err)
	}
	p.jumps[h.ProxyJump] = &bastion{client: client, dead: end.done}
	return client, jhost, nil
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
