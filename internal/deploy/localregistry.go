package deploy

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/berth-sh/berth/internal/localregistry"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// localState is the session's `registry { local = true }`: the registry
// it started and the forwards of its port on each SSH connection.
type localState struct {
	mu       sync.Mutex
	reg      *localregistry.Registry
	forwards map[*sshx.Conn]*sshx.Forward
}

// startLocalRegistry runs the local registry once per session (nothing
// without registry.local).
func (s *Session) startLocalRegistry(ctx context.Context) error {
	r := s.Config.Registry
	if r == nil || !r.Local {
		return nil
	}
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	if s.local.reg != nil {
		return nil
	}
	reg, err := localregistry.Start(ctx, r.Port, localregistry.DefaultDir(envValue(s.env.Environ, "HOME"), envValue(s.env.Environ, "XDG_CACHE_HOME"), r.Port))
	if err != nil {
		return err
	}
	s.local.reg = reg
	return nil
}

// forwardRegistry makes the local registry's port answer on conn's host,
// on its loopback only (127.0.0.1:PORT), through the SSH connection.
// Once per connection; nothing without registry.local.
func (s *Session) forwardRegistry(ctx context.Context, conn *sshx.Conn) error {
	r := s.Config.Registry
	if r == nil || !r.Local {
		return nil
	}
	if err := s.startLocalRegistry(ctx); err != nil {
		return err
	}
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	if s.local.forwards[conn] != nil {
		return nil
	}
	addr := s.local.reg.Addr
	f, err := conn.ForwardRemote(ctx, addr, func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	if err != nil {
		return fmt.Errorf("local registry: %w", err)
	}
	if s.local.forwards == nil {
		s.local.forwards = map[*sshx.Conn]*sshx.Forward{}
	}
	s.local.forwards[conn] = f
	return nil
}

// closeLocal stops the forwards and the registry.
func (s *Session) closeLocal() {
	s.local.mu.Lock()
	defer s.local.mu.Unlock()
	for c, f := range s.local.forwards {
		_ = f.Close()
		delete(s.local.forwards, c)
	}
	if s.local.reg != nil {
		_ = s.local.reg.Close()
		s.local.reg = nil
	}
}

// digests is the planner's resolver: with a local registry, one that
// starts it before the first look-up.
func (s *Session) digests() planner.DigestResolver {
	if r := s.Config.Registry; r == nil || !r.Local {
		return s.registry
	}
	return localResolver{s}
}

type localResolver struct{ s *Session }

func (l localResolver) Resolve(ctx context.Context, ref string) (string, error) {
	if err := l.s.startLocalRegistry(ctx); err != nil {
		return "", err
	}
	return l.s.registry.Resolve(ctx, ref)
}

// usesLocal reports whether an image comes from the local registry.
func usesLocal(cfg *lang.Config, image string) bool {
	return cfg.Registry != nil && cfg.Registry.Local && strings.HasPrefix(image, cfg.Registry.Server+"/")
}

func envValue(environ []string, key string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// forwardHost forwards the local registry to a deploy host, so that its
// pulls of the service image reach it (nothing without registry.local).
func (s *Session) forwardHost(ctx context.Context, host string) error {
	if !usesLocal(s.Config, s.Config.Service.Image) {
		return nil
	}
	conn, err := s.pool.Conn(ctx, host)
	if err != nil {
		return err
	}
	return s.forwardRegistry(ctx, conn)
}
