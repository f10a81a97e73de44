package planner

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/berth-sh/berth/lang"
)

// LiveRoute is one route of a host's kamal-proxy, of any service, as
// `kamal-proxy list` shows it. The proxy is shared: these routes are how a
// plan knows which other services still route through it, and which host
// names and paths they claim.
type LiveRoute struct {
	Service string   `json:"service"`         // kamal-proxy's name of it: SERVICE-ROLE
	Hosts   []string `json:"hosts,omitempty"` // the Host header names it serves; none = any
	Paths   []string `json:"paths,omitempty"` // the path prefixes; "/" = all
	Target  string   `json:"target"`          // CONTAINER-ID:PORT
	State   string   `json:"state"`           // running, paused or stopped (maintenance)
}

// ProxyListArgs is the argv, run inside the proxy container, that lists
// its routes.
var ProxyListArgs = []string{"kamal-proxy", "list"}

var (
	ansiRE    = regexp.MustCompile("\x1b\\[[0-9;]*m")
	columnsRE = regexp.MustCompile(`\s{2,}`)
)

// ParseProxyList reads the table `kamal-proxy list` (v0.9.2) prints:
// Service, Host (comma-separated, "*" for any), Path (comma-separated),
// Target, State, TLS.
func ParseProxyList(out string) []LiveRoute {
	var routes []LiveRoute
	for _, line := range strings.Split(ansiRE.ReplaceAllString(out, ""), "\n") {
		f := columnsRE.Split(strings.TrimSpace(line), -1)
		if len(f) < 5 || f[0] == "Service" {
			continue
		}
		r := LiveRoute{Service: f[0], Target: f[3], State: f[4]}
		if f[1] != "*" && f[1] != "" {
			r.Hosts = strings.Split(f[1], ",")
		}
		r.Paths = strings.Split(f[2], ",")
		routes = append(routes, r)
	}
	return routes
}

// routeNames are the route names of the service in the host's proxy: of
// every role of the configuration and of every role container of the
// service there (a role that left the configuration may still be routed).
func routeNames(cfg *lang.Config, st HostState) map[string]bool {
	names := map[string]bool{}
	for _, r := range cfg.Roles {
		names[RouteName(cfg, r.Name)] = true
	}
	for _, a := range cfg.Accessories {
		if a.Proxy != nil {
			names[cfg.Service.Name+"-"+a.Name] = true
		}
	}
	for _, c := range st.Containers {
		if c.Labels[LabelService] != cfg.Service.Name {
			continue
		}
		if c.Role != "" {
			names[RouteName(cfg, c.Role)] = true
		}
		if s, ok := ParseSpecSummary(c.Labels[LabelSpec]); ok && c.Accessory != "" && s.Proxy != nil {
			names[s.Proxy.Service] = true
		}
	}
	return names
}

// OtherRoutes are the routes of the host's proxy that belong to other
// services.
func OtherRoutes(cfg *lang.Config, st HostState) []LiveRoute {
	_, others := splitRoutes(cfg, st)
	return others
}

// OwnRoutes are the routes of the host's proxy that belong to the service.
func OwnRoutes(cfg *lang.Config, st HostState) []LiveRoute {
	own, _ := splitRoutes(cfg, st)
	return own
}

func splitRoutes(cfg *lang.Config, st HostState) (own, others []LiveRoute) {
	names := routeNames(cfg, st)
	for _, r := range st.Routes {
		if names[r.Service] {
			own = append(own, r)
		} else {
			others = append(others, r)
		}
	}
	return own, others
}

// UsesProxy reports whether the service has anything to do with the
// host's proxy: a route in it, a container that was proxied, or a proxy
// container that an older berth labelled with the service. Only then may
// its plan remove the proxy.
func UsesProxy(cfg *lang.Config, st HostState) bool {
	if len(OwnRoutes(cfg, st)) > 0 {
		return true
	}
	for _, c := range st.Containers {
		if c.Labels[LabelService] != cfg.Service.Name {
			continue
		}
		if c.IsProxy() {
			return true
		}
		if s, ok := ParseSpecSummary(c.Labels[LabelSpec]); ok && s.Proxy != nil {
			return true
		}
	}
	return false
}

// claims are the (host name, path) pairs a route serves, "*" for any host,
// paths as kamal-proxy normalises them.
func claims(hosts, paths []string) []string {
	if len(hosts) == 0 {
		hosts = []string{"*"}
	}
	if len(paths) == 0 {
		paths = []string{"/"}
	}
	var out []string
	for _, h := range hosts {
		for _, p := range paths {
			// kamal-proxy's own normalisation: "/api/" is "/api".
			out = append(out, "host "+h+", path /"+strings.Trim(p, "/"))
		}
	}
	return out
}

// ErrRouteClaimed reports two routes that claim the same host name and
// path on one host's proxy.
var ErrRouteClaimed = errors.New("route already claimed")

// checkRouteClaims refuses a plan whose proxied roles claim a host name and
// path that another route of the host's proxy (of another service, or
// another role of this one) serves already: kamal-proxy routes each pair
// to one service only.
func checkRouteClaims(cfg *lang.Config, states map[string]HostState) error {
	var errs []string
	for _, host := range hostOrder(cfg) {
		st, ok := states[host]
		if !ok {
			continue
		}
		taken := map[string]string{} // claim -> route name
		for _, r := range OtherRoutes(cfg, st) {
			for _, c := range claims(r.Hosts, r.Paths) {
				taken[c] = r.Service + " (another service)"
			}
		}
		for _, rt := range proxiedOn(cfg, host) {
			name := rt.name
			for _, c := range claims(rt.proxy.Hosts, []string{cmp.Or(rt.proxy.PathPrefix, "/")}) {
				if by, ok := taken[c]; ok {
					errs = append(errs, fmt.Sprintf("%s: %s and %s both claim %s", host, name, by, c))
					continue
				}
				taken[c] = name
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w on the shared proxy (kamal-proxy routes a host name and path to one service only):\n  %s",
		ErrRouteClaimed, strings.Join(errs, "\n  "))
}

// proxied is a role or accessory behind the proxy, by its route's name.
type proxied struct {
	name  string
	proxy *lang.RoleProxy
}

// proxiedOn are the proxied roles and accessories of the configuration on
// host, roles first.
func proxiedOn(cfg *lang.Config, host string) []proxied {
	var out []proxied
	for _, r := range cfg.Roles {
		if r.Proxy != nil && slices.Contains(r.Hosts, host) {
			out = append(out, proxied{cfg.Service.Name + "-" + r.Name, r.Proxy})
		}
	}
	for _, a := range cfg.Accessories {
		if a.Proxy != nil && slices.Contains(a.Hosts, host) {
			out = append(out, proxied{cfg.Service.Name + "-" + a.Name, a.Proxy})
		}
	}
	return out
}
