package deploy

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// Env is what a session needs from the command that runs it.
type Env struct {
	Out     io.Writer    // notices while waiting (the lock); never nil
	Err     io.Writer    // warnings; never nil
	Who     string       // "user@machine", for the lock and the audit log
	Environ []string     // SSH_AUTH_SOCK is taken from here
	Logger  *slog.Logger // debug logs of dials and Docker calls; nil = none
	Version string       // berth's own version, recorded in plans
}

// Session is one command's connections to the hosts of one configuration.
// It does not dial until a host is first used. Close closes every
// connection.
type Session struct {
	Config   *lang.Config
	env      Env
	log      *slog.Logger
	pool     *sshx.Pool
	live     *live.Reader
	registry *registry.Resolver
	local    *localState // registry { local = true }
	readOnly bool        // see ReadOnly

	warnMu sync.Mutex // warnings may come from several goroutines at once
}

// Open builds the connections of cfg. It checks first that the open files
// limit holds one connection per host.
func Open(cfg *lang.Config, env Env) (*Session, error) {
	if err := checkOpenFiles(len(cfg.Hosts)); err != nil {
		return nil, err
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool, err := sshx.NewPool(sshx.Options{Config: sshx.Config(cfg.SSH), Hosts: SSHHosts(cfg.Hosts), Environ: env.Environ, Logger: log})
	if err != nil {
		return nil, err
	}
	// Every Docker API call is logged too (method, path, status, time;
	// never a body, so never a secret).
	newClient := func(c *sshx.Conn) *dockerapi.Client {
		return dockerapi.New(c, dockerapi.WithHost(c.Host()), dockerapi.WithLogger(log))
	}
	reader := live.NewReader(pool, newClient)
	if t := cfg.Service.Takeover; t != nil && t.From == lang.TakeoverKamal {
		reader.TakeOver(live.Kamal{Service: t.Service, Destination: t.Destination})
	}
	return &Session{Config: cfg, env: env, log: log, pool: pool, live: reader, registry: NewResolver(cfg.Registry), local: &localState{}}, nil
}

// NewResolver is the registry client for cfg's registry block (nil =
// anonymous everywhere).
func NewResolver(cfg *lang.Registry) *registry.Resolver {
	if cfg == nil {
		return registry.New(registry.Options{})
	}
	return registry.New(registry.Options{Server: cfg.Server, Username: cfg.Username, Password: cfg.Password, Insecure: cfg.Insecure})
}

// SSHHosts is the transport's view of the configured hosts.
func SSHHosts(hosts []lang.Host) []sshx.Host {
	out := make([]sshx.Host, len(hosts))
	for i, h := range hosts {
		out[i] = sshx.Host(h)
	}
	return out
}

// Close closes every SSH connection.
func (s *Session) Close() error {
	if s == nil || s.pool == nil {
		return nil
	}
	s.closeLocal()
	return s.pool.Close()
}

// Logger is the session's debug logger.
func (s *Session) Logger() *slog.Logger { return s.log }

// Docker is the Docker API of host, over its SSH connection.
func (s *Session) Docker(ctx context.Context, host string) (*dockerapi.Client, error) {
	return s.live.Client(ctx, host)
}

// Conn is the SSH connection to host, dialled when it is first needed.
func (s *Session) Conn(ctx context.Context, host string) (*sshx.Conn, error) {
	return s.pool.Conn(ctx, host)
}

// ReadState reads the live containers of the service on one host.
func (s *Session) ReadState(ctx context.Context, host string) (planner.HostState, error) {
	st, err := s.live.ReadState(ctx, host, s.Config.StateName())
	st.Host = host
	return st, err
}

// Deps are what planner.Build needs from the connections.
func (s *Session) Deps() planner.Deps {
	var state planner.StateReader = s.live
	if s.readOnly {
		state = releasing{s.live}
	}
	return planner.Deps{State: state, Digests: s.digests(), Volumes: volumeReader{s}}
}

// ReadOnly says the session only reads the hosts (plan, status): each
// host's connection is closed as soon as it is read, so a big fleet holds
// no more connections at once than it reads at once. A command that goes
// on to change the hosts (apply) keeps them, to use them again.
func (s *Session) ReadOnly() { s.readOnly = true }

// releasing is a state reader that lets go of each host once read. It
// adds departed hosts as the reader does (planner.HostAdder).
type releasing struct{ r *live.Reader }

var _ planner.HostAdder = releasing{}

func (l releasing) AddHost(h planner.RosterHost) error { return l.r.AddHost(h) }

func (l releasing) ReadState(ctx context.Context, host, service string) (planner.HostState, error) {
	st, err := l.r.ReadState(ctx, host, service)
	l.r.Release(host)
	return st, err
}

// warnf prints a warning line.
func (s *Session) warnf(format string, args ...any) {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	fmt.Fprintf(s.env.Err, "Warning: "+format+"\n", args...)
}

// hosts adapts the session to what the executor needs.
type hosts struct{ s *Session }

var _ executor.Hosts = hosts{}

func (h hosts) Docker(ctx context.Context, host string) (executor.Docker, error) {
	if err := h.s.forwardHost(ctx, host); err != nil {
		return nil, err
	}
	return h.s.live.Client(ctx, host)
}

func (h hosts) DialContext(ctx context.Context, host, network, addr string) (net.Conn, error) {
	conn, err := h.s.pool.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	return conn.DialContext(ctx, network, addr)
}

// volumeReader lists a container's named volumes for the planner.
type volumeReader struct{ s *Session }

var _ planner.VolumeReader = volumeReader{}

func (v volumeReader) Volumes(ctx context.Context, host, id string) ([]string, error) {
	d, err := v.s.live.Client(ctx, host)
	if err != nil {
		return nil, err
	}
	ms, err := d.Mounts(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.Type == "volume" && m.Name != "" {
			out = append(out, m.Name)
		}
	}
	return out, nil
}
