package executor

import (
	"context"
	"net"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// Docker is what an apply needs of one host's Docker daemon.
type Docker interface {
	Pull(ctx context.Context, ref string, auth *dockerapi.Auth) error
	InspectImage(ctx context.Context, ref string) (dockerapi.ImageInfo, error)
	Create(ctx context.Context, name string, spec dockerapi.CreateSpec) (string, error)
	Start(ctx context.Context, id string) error
	Stop(ctx context.Context, id string, timeout time.Duration) error
	Kill(ctx context.Context, id, signal string) error
	Wait(ctx context.Context, id, condition string) (int, error)
	Remove(ctx context.Context, id string, force bool) error
	Rename(ctx context.Context, id, name string) error
	Inspect(ctx context.Context, id string) (dockerapi.ContainerInfo, error)
	Exec(ctx context.Context, id string, cmd []string) (int, []byte, error)
	Logs(ctx context.Context, id string, tail int) ([]byte, error)
	CopyTo(ctx context.Context, id, dir string, files []dockerapi.File) error
}

// Hosts reaches the hosts of a plan: each one's Docker, and TCP ports on
// the host's side of its network (for HTTP health checks of containers).
type Hosts interface {
	Docker(ctx context.Context, host string) (Docker, error)
	DialContext(ctx context.Context, host, network, addr string) (net.Conn, error)
}
