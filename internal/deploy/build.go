package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/imagebuild"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/lang"
)

// builderHostName is the pool's name of a build machine given by address.
const builderHostName = "(builder)"

// ErrNoBuild: the service has no build block.
var ErrNoBuild = errors.New("the service has no build block")

// BuildOptions say how to build.
type BuildOptions struct {
	Out   io.Writer // progress lines; nil = the session's Out
	Force bool      // build even when the registry has the version
}

// Build builds the service image from its build block on the configured
// daemon and pushes it (to the local registry when registry.local), unless
// the registry has the version already. It contacts no deploy host
// (except one named as the builder).
func (s *Session) Build(ctx context.Context, o BuildOptions) (imagebuild.Result, error) {
	b := s.Config.Service.Build
	if b == nil {
		return imagebuild.Result{}, ErrNoBuild
	}
	out := o.Out
	if out == nil {
		out = s.env.Out
	}
	if err := s.startLocalRegistry(ctx); err != nil {
		return imagebuild.Result{}, err
	}
	d, where, err := s.buildDaemon(ctx, b.Builder)
	if err != nil {
		return imagebuild.Result{}, err
	}
	defer d.Close()
	fmt.Fprintf(out, "build: on %s\n", where)
	ib := &imagebuild.Builder{Daemon: d, Registry: s.registry, Out: out}
	req := imagebuild.Request{Service: s.Config.Service.Name, Build: b, Image: s.Config.Service.Image,
		Version: s.Config.Version, Auth: s.pushAuth(), Force: o.Force}
	return ib.Run(ctx, req)
}

// pushAuth are the registry credentials for the service image.
func (s *Session) pushAuth() *dockerapi.Auth {
	r := s.Config.Registry
	if r == nil || r.Local || r.Username == "" {
		return nil
	}
	return &dockerapi.Auth{Username: r.Username, Password: r.Password.Value(), ServerAddress: r.Server}
}

// buildDaemon connects to the daemon to build on: the builder block's host
// over the session's verified SSH transport, else DOCKER_HOST or the
// docker context, else the local socket. With a local registry, a daemon
// over SSH reaches it through a forward of its own loopback port.
func (s *Session) buildDaemon(ctx context.Context, b lang.Builder) (*dockerapi.Client, string, error) {
	var host sshx.Host
	socket := dockerapi.DefaultSocket
	where := ""
	switch {
	case b.Host != "" && b.HostRef:
		host.Name, where = b.Host, "host "+b.Host+" (over SSH)"
	case b.Host != "":
		host = sshx.Host{Name: builderHostName, Address: b.Host, User: b.User, Port: b.Port}
		where = sshTarget(b.User, b.Host, b.Port) + " (over SSH)"
	default:
		ep, err := imagebuild.LocateDaemon(s.env.Environ)
		if err != nil {
			return nil, "", err
		}
		if !ep.Remote() {
			c := dockerapi.New(&net.Dialer{}, dockerapi.WithSocket(ep.Socket), dockerapi.WithHost("builder"), dockerapi.WithLogger(s.log))
			return c, fmt.Sprintf("the Docker daemon at unix://%s (%s)", ep.Socket, ep.From), nil
		}
		host = sshx.Host{Name: builderHostName, Address: ep.SSHHost, User: ep.SSHUser, Port: ep.SSHPort}
		socket, where = ep.Socket, sshTarget(ep.SSHUser, ep.SSHHost, ep.SSHPort)+" (over SSH, "+ep.From+")"
	}
	if host.Address != "" {
		if err := s.pool.AddHost(host); err != nil {
			return nil, "", err
		}
	}
	conn, err := s.pool.Conn(ctx, host.Name)
	if err != nil {
		return nil, "", fmt.Errorf("build host: %w", err)
	}
	if err := s.forwardRegistry(ctx, conn); err != nil {
		return nil, "", err
	}
	c := dockerapi.New(conn, dockerapi.WithSocket(socket), dockerapi.WithHost(host.Name), dockerapi.WithLogger(s.log))
	return c, where, nil
}

// sshTarget is a build machine as the user wrote it: [user@]host[:port].
func sshTarget(user, host string, port int) string {
	if user != "" {
		host = user + "@" + host
	}
	if port != 0 {
		host = fmt.Sprintf("%s:%d", host, port)
	}
	return host
}
