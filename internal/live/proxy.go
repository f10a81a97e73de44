package live

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// readProxy picks from list the host's proxy containers (labelled berth.proxy=true,
// whichever service started them: the proxy is shared) and, when one
// runs, every service's routes in it (`kamal-proxy list`). A running
// proxy whose routes cannot be read fails the read: a plan must know
// which other services route through it.
func readProxy(ctx context.Context, c *dockerapi.Client, host string, list []dockerapi.ContainerSummary) ([]planner.Container, []planner.LiveRoute, error) {
	var proxies []planner.Container
	for _, s := range list {
		if s.Labels[planner.LabelProxy] == "true" {
			proxies = append(proxies, container(s))
		}
	}
	newestFirst(proxies)
	for _, p := range proxies {
		if p.State != "running" {
			continue
		}
		code, out, err := c.Exec(ctx, p.ID, planner.ProxyListArgs)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(string(out)))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("host %s: read the routes of %s (kamal-proxy list): %w", host, p.Name, err)
		}
		return proxies, planner.ParseProxyList(string(out)), nil
	}
	return proxies, nil, nil
}

// mergeProxies adds the proxy containers that the service's own listing
// lacks (those it did not start), keeping the order newest first.
func mergeProxies(cs, proxies []planner.Container) []planner.Container {
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		seen[c.ID] = true
	}
	added := false
	for _, p := range proxies {
		if !seen[p.ID] {
			cs = append(cs, p)
			added = true
		}
	}
	if added {
		newestFirst(cs)
	}
	return cs
}
