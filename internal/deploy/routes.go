package deploy

import (
	"context"
	"regexp"
	"strings"

	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/planner"
)

// ProxyRoute is one route of the service in a host's kamal-proxy, as
// `kamal-proxy list` shows it.
type ProxyRoute struct {
	Host      string `json:"host"`
	Service   string `json:"service"` // SERVICE-ROLE
	Match     string `json:"match"`   // the Host header it serves, "*" for any
	Path      string `json:"path"`
	Target    string `json:"target"`              // CONTAINER-ID:PORT
	Container string `json:"container,omitempty"` // the target's name, when it is one of the service's
	State     string `json:"state"`
}

var (
	ansiRE    = regexp.MustCompile("\x1b\\[[0-9;]*m")
	columnsRE = regexp.MustCompile(`\s{2,}`)
)

// parseProxyList reads the table of `kamal-proxy list`, keeping the routes
// whose service name starts with prefix.
func parseProxyList(host, out, prefix string) []ProxyRoute {
	var routes []ProxyRoute
	for _, line := range strings.Split(ansiRE.ReplaceAllString(out, ""), "\n") {
		f := columnsRE.Split(strings.TrimSpace(line), -1)
		if len(f) < 5 || f[0] == "Service" || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		routes = append(routes, ProxyRoute{Host: host, Service: f[0], Match: f[1], Path: f[2], Target: f[3], State: f[4]})
	}
	return routes
}

// proxyRoutes asks the running proxy of every host what it routes for the
// service. A proxy that cannot be asked is left out (status shows its
// container anyway).
func (s *Session) proxyRoutes(ctx context.Context, service string, states []planner.HostState) []ProxyRoute {
	out := make([][]ProxyRoute, len(states))
	fanout.Each(ctx, len(states), 0, func(ctx context.Context, i int) error {
		st := states[i]
		for _, c := range st.Containers {
			if !c.IsProxy() || !c.Running() {
				continue
			}
			d, err := s.live.Client(ctx, st.Host)
			if err != nil {
				return nil
			}
			code, list, err := d.Exec(ctx, c.ID, []string{"kamal-proxy", "list"})
			if err != nil || code != 0 {
				continue
			}
			routes := parseProxyList(st.Host, string(list), service+"-")
			for j := range routes {
				routes[j].Container = targetName(routes[j].Target, st.Containers)
			}
			out[i] = append(out[i], routes...)
		}
		return nil
	})
	var all []ProxyRoute
	for _, r := range out {
		all = append(all, r...)
	}
	return all
}

// targetName finds the container a target "ID:PORT" (or "NAME:PORT") names.
func targetName(target string, cs []planner.Container) string {
	id, _, _ := strings.Cut(target, ":")
	for _, c := range cs {
		if id != "" && (strings.HasPrefix(c.ID, id) || c.Name == id) {
			return c.Name
		}
	}
	return ""
}
