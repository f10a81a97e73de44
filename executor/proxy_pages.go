package executor

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// installRouteFiles copies what a route's `kamal-proxy deploy` refers to
// into the proxy's volume first: its TLS certificate and key, its error
// pages.
func (r *run) installRouteFiles(ctx context.Context, d Docker, a planner.Address, route *planner.ProxyRoute) error {
	if err := r.installTLS(ctx, d, a, route); err != nil {
		return err
	}
	return r.installErrorPages(ctx, d, a, route)
}

// installErrorPages copies a role's error pages (mode 0644) into the
// proxy's volume, in a folder named by their digest, checked against the
// plan's.
func (r *run) installErrorPages(ctx context.Context, d Docker, a planner.Address, route *planner.ProxyRoute) error {
	if route.ErrorPages == "" {
		return nil
	}
	var pages *lang.ErrorPages
	if block, _ := r.proxyBlock(a); block != nil {
		pages = block.ErrorPages
	}
	if planner.PagesDigest(pages) != route.ErrorPages {
		return fmt.Errorf("%s: the error pages of %s changed since the plan was made; plan again", a, route.Service)
	}
	dir := relToConfig(planner.PagesPath(route.Service, route.ErrorPages))
	var files []dockerapi.File
	for _, name := range pages.Names() {
		files = append(files, dockerapi.File{Path: dir + "/" + name, Mode: 0o644, Data: pages.Files[name]})
	}
	proxy := r.proxyName(a.Host)
	if err := d.CopyTo(ctx, proxy, planner.ProxyConfigDir, files); err != nil {
		return fmt.Errorf("%s: copy the error pages of %s into %s: %w", a, route.Service, proxy, err)
	}
	return nil
}
