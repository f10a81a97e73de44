package deploy

import (
	"context"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// hostProxy is the proxy container that routes a host's requests: berth's
// own, or, taking over a Kamal app on a host where berth's does not run,
// Kamal's kamal-proxy that the plan adopted there.
func (s *Session) hostProxy(ctx context.Context, d *dockerapi.Client) string {
	if s.Config.Service.Takeover == nil {
		return planner.ProxyContainer
	}
	if info, err := d.Inspect(ctx, planner.ProxyContainer); err == nil && info.State.Running {
		return planner.ProxyContainer
	}
	if info, err := d.Inspect(ctx, planner.KamalProxy); err == nil && info.State.Running {
		return planner.KamalProxy
	}
	return planner.ProxyContainer
}
