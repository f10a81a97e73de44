package executor

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// tlsArgs are the `kamal-proxy deploy` flags of a route's TLS: the files
// berth copied into the proxy's volume (installTLS), or Let's Encrypt with
// its cache in that volume; and the canonical host.
func tlsArgs(route *planner.ProxyRoute) []string {
	var argv []string
	if t := route.TLS; t != nil {
		argv = append(argv, "--tls")
		if t.Auto {
			argv = append(argv, "--tls-acme-cache-path", planner.ProxyACMECache)
		} else {
			cert, key := t.Files(route.Service)
			argv = append(argv, "--tls-certificate-path", cert, "--tls-private-key-path", key)
		}
		if t.NoRedirect {
			argv = append(argv, "--tls-redirect=false")
		}
	}
	if route.CanonicalHost != "" {
		argv = append(argv, "--canonical-host", route.CanonicalHost)
	}
	return argv
}

// installTLS copies a route's own certificate (mode 0644) and private key
// (mode 0600) into the host's proxy volume (berth's, or the kamal-proxy
// the plan adopted there, whose volume is mounted at the same path)
// through the Docker API, before
// kamal-proxy is told to use them. The key is checked against the plan's
// salted hash; it travels only in the archive upload's request body.
func (r *run) installTLS(ctx context.Context, d Docker, a planner.Address, route *planner.ProxyRoute) error {
	t := route.TLS
	if t == nil || t.Auto {
		return nil
	}
	block, key := r.proxyBlock(a)
	var tls *lang.ProxyTLS
	if block != nil {
		tls = block.TLS
	}
	if tls == nil || tls.Auto {
		return fmt.Errorf("%s: the configuration has no tls block for %s any more; plan again", a, route.Service)
	}
	if now := planner.RouteTLSOf(r.cfg.Service.Name, key, tls, t.NoRedirect); now != *t {
		return fmt.Errorf("%s: the TLS certificate or private key of %s changed since the plan was made; plan again", a, route.Service)
	}
	cert, key := t.Files(route.Service)
	files := []dockerapi.File{
		{Path: relToConfig(cert), Mode: 0o644, Data: []byte(tls.Certificate)},
		{Path: relToConfig(key), Mode: 0o600, Data: []byte(tls.PrivateKey.Value())},
	}
	proxy := r.proxyName(a.Host)
	if err := d.CopyTo(ctx, proxy, planner.ProxyConfigDir, files); err != nil {
		return fmt.Errorf("%s: copy the certificate of %s into %s: %w", a, route.Service, proxy, err)
	}
	r.rep.Event(a, "copied the TLS certificate and key of "+route.Service+" into "+proxy)
	return nil
}

// proxyBlock is the proxy block of the role or accessory at a in the
// configuration, and the key of its TLS salt ("web", "accessory.docs").
func (r *run) proxyBlock(a planner.Address) (*lang.RoleProxy, string) {
	if r.cfg == nil {
		return nil, ""
	}
	for _, rl := range r.cfg.Roles {
		if a.Role != "" && rl.Name == a.Role {
			return rl.Proxy, rl.Name
		}
	}
	for _, acc := range r.cfg.Accessories {
		if a.Accessory != "" && acc.Name == a.Accessory {
			return acc.Proxy, "accessory." + acc.Name
		}
	}
	return nil, ""
}

func relToConfig(p string) string { return strings.TrimPrefix(p, planner.ProxyConfigDir+"/") }
