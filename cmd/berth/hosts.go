package main

import (
	"context"
	"log/slog"
	"os"
	osuser "os/user"
	"strings"

	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/lang"
)

// session builds the connections of cfg (internal/deploy). It does not
// dial: the first command on a host does. SSH_AUTH_SOCK comes from
// a.environ.
func (a *app) session(cfg *lang.Config) (*deploy.Session, error) {
	return deploy.Open(cfg, deploy.Env{Out: a.Out, Err: a.Err, Who: a.who(), Environ: a.environ, Logger: a.logger(), Version: version})
}

// open loads the configuration and builds its connections, for the
// commands that act on hosts. The caller closes the session.
func (a *app) open(ctx context.Context, vf varFlags) (*lang.Config, *deploy.Session, error) {
	cfg, err := a.loadConfig(ctx, vf)
	if err != nil {
		return nil, nil, err
	}
	sess, err := a.session(cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, sess, nil
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

// who names the person or machine behind an apply, for the lock and audit.
func (a *app) who() string {
	user := ""
	for _, kv := range a.environ {
		if v, ok := strings.CutPrefix(kv, "USER="); ok && v != "" {
			user = v
		}
	}
	if u, err := osuser.Current(); user == "" && err == nil {
		user = u.Username
	}
	host, _ := os.Hostname()
	return user + "@" + host
}
