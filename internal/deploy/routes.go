package deploy

import (
	"strings"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// ProxyRoute is one route of the service in a host's shared kamal-proxy,
// as `kamal-proxy list` showed it when the host was read.
type ProxyRoute struct {
	Host      string `json:"host"`
	Service   string `json:"service"` // SERVICE-ROLE
	Match     string `json:"match"`   // the Host header names it serves, comma-separated, "*" for any
	Path      string `json:"path"`
	Target    string `json:"target"`              // CONTAINER-ID:PORT
	Container string `json:"container,omitempty"` // the target's name, when it is one of the service's
	State     string `json:"state"`               // running; stopped in maintenance
	// Maintenance is set while the route is stopped (berth maintenance on).
	Maintenance bool `json:"maintenance,omitempty"`
	// Other marks a route of another service sharing the proxy.
	Other bool `json:"other_service,omitempty"`
}

// proxyRoutes are the routes in the proxies of the hosts read
// (planner.HostState.Routes): the service's own first, then those of the
// other services that share the proxy (Other).
func proxyRoutes(cfg *lang.Config, states []planner.HostState) []ProxyRoute {
	var all []ProxyRoute
	for _, st := range states {
		own, others := planner.OwnRoutes(cfg, st), planner.OtherRoutes(cfg, st)
		for i, r := range append(own, others...) {
			match := "*"
			if len(r.Hosts) > 0 {
				match = strings.Join(r.Hosts, ",")
			}
			all = append(all, ProxyRoute{Host: st.Host, Service: r.Service, Match: match, Path: strings.Join(r.Paths, ","),
				Target: r.Target, Container: targetName(r.Target, st.Containers), State: r.State, Maintenance: r.State == "stopped",
				Other: i >= len(own)})
		}
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
