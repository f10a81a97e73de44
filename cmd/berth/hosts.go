package main

import (
	"context"
	"log/slog"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// connections are the ways a run reaches the hosts and the registry: one
// SSH connection per host (dialled on first use), the live-state reader
// and Docker clients over them, and the tag-to-digest resolver.
type connections struct {
	pool     *sshx.Pool
	live     *live.Reader
	registry *registry.Resolver // anonymous when the config has no registry block
}

// connect builds the connections of cfg. It does not dial: the first
// command on a host does. SSH_AUTH_SOCK comes from a.environ.
func (a *app) connect(ctx context.Context, cfg *lang.Config) (*connections, error) {
	_ = ctx
	if err := checkOpenFiles(len(cfg.Hosts)); err != nil {
		return nil, err
	}
	log := a.logger()
	pool, err := sshx.NewPool(sshx.Options{
		Config:  sshx.Config(cfg.SSH),
		Hosts:   sshHosts(cfg.Hosts),
		Environ: a.environ,
		Logger:  log,
	})
	if err != nil {
		return nil, err
	}
	// Every Docker API call is logged too (method, path, status, time;
	// never a body, so never a secret).
	newClient := func(c *sshx.Conn) *dockerapi.Client {
		return dockerapi.New(c, dockerapi.WithHost(c.Host()), dockerapi.WithLogger(log))
	}
	return &connections{
		pool:     pool,
		live:     live.NewReader(pool, newClient),
		registry: registry.FromConfig(cfg.Registry),
	}, nil
}

// sshHosts is the transport's view of the configured hosts.
func sshHosts(hosts []lang.Host) []sshx.Host {
	out := make([]sshx.Host, len(hosts))
	for i, h := range hosts {
		out[i] = sshx.Host(h)
	}
	return out
}

// open loads the configuration and builds its connections, for the
// commands that act on hosts. The caller closes the connections.
func (a *app) open(ctx context.Context, vf varFlags) (*lang.Config, *connections, error) {
	cfg, err := a.loadConfig(ctx, vf)
	if err != nil {
		return nil, nil, err
	}
	conns, err := a.connect(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, conns, nil
}

// Close closes every SSH connection.
func (c *connections) Close() error {
	if c == nil || c.pool == nil {
		return nil
	}
	return c.pool.Close()
}

// logger returns the debug logger: slog to stderr when BERTH_LOG=debug,
// else one that discards.
func (a *app) logger() *slog.Logger {
	for _, kv := range a.environ {
		if kv == "BERTH_LOG=debug" {
			return slog.New(slog.NewTextHandler(a.Err, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	return slog.New(slog.DiscardHandler)
}

// deps are what planner.Build needs from the connections.
func (c *connections) deps() planner.Deps {
	return planner.Deps{State: c.live, Digests: c.registry, Volumes: volumeReader{c}}
}
