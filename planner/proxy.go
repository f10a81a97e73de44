package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/lang"
)

// The proxy: one kamal-proxy container per host of a proxied role, named
// ProxyContainer, labelled LabelProxy=true (and berth.service, like every
// container berth starts), joined to the Docker network ProxyNetwork with
// the proxied roles' containers, publishing the host's HTTP port. Its
// routes live in the ProxyVolume named volume, so a new proxy container
// takes over the old one's routes.
const (
	LabelProxy     = "berth.proxy"
	ProxyContainer = "berth-proxy"
	ProxyNetwork   = "berth"
	ProxyVolume    = "berth-proxy-config:/home/kamal-proxy/.config/kamal-proxy"
	// proxyHealthInterval bounds each probe of the proxy container
	// (`kamal-proxy list`); Docker's own check of it runs at the default
	// steady interval (lang.DefaultSteadyInterval).
	proxyHealthInterval = 10 * time.Second
	proxyHealthDeadline = 30 * time.Second
)

// ProxyRoute is how the host's kamal-proxy routes to a role's container:
// the options of `kamal-proxy deploy`. The target (the new container) is
// filled in by the executor.
type ProxyRoute struct {
	Service string `json:"service"` // the service's name inside kamal-proxy: SERVICE-ROLE
	AppPort int    `json:"app_port"`
	// Host is the Host header names the route serves, comma-separated the
	// way `kamal-proxy list` shows them (HostNames splits it); "" = any.
	Host       string `json:"host,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	// KeepPathPrefix passes PathPrefix on to the container (kamal-proxy
	// strips it by default).
	KeepPathPrefix bool          `json:"keep_path_prefix,omitempty"`
	HealthPath     string        `json:"health_path"`
	HealthInterval time.Duration `json:"health_interval"`
	DeployTimeout  time.Duration `json:"deploy_timeout"`
	DrainTimeout   time.Duration `json:"drain_timeout"`
	TLS            *RouteTLS     `json:"tls,omitempty"`
	CanonicalHost  string        `json:"canonical_host,omitempty"`
	Options        *RouteOptions `json:"options,omitempty"`
	// ErrorPages is the digest of the role's error_pages folder, "" for none.
	ErrorPages string `json:"error_pages,omitempty"`
}

// HostNames are the Host header names the route serves, none for any.
func (p *ProxyRoute) HostNames() []string {
	if p.Host == "" {
		return nil
	}
	return strings.Split(p.Host, ",")
}

// Describe renders a route in one line, e.g. `shop-web → :8080, host *, path /, health /up every 1s, deploy 30s, drain 30s`.
func (p *ProxyRoute) Describe() string {
	if p == nil {
		return "(none)"
	}
	path := cmp.Or(p.PathPrefix, "/")
	if p.KeepPathPrefix {
		path += " (kept)"
	}
	s := fmt.Sprintf("%s → :%d, host %s, path %s, health %s every %s, deploy %s, drain %s", p.Service, p.AppPort,
		cmp.Or(p.Host, "*"), path, p.HealthPath, p.HealthInterval, p.DeployTimeout, p.DrainTimeout)
	if p.CanonicalHost != "" {
		s += ", canonical host " + p.CanonicalHost
	}
	if p.ErrorPages != "" {
		s += ", error pages " + short(p.ErrorPages)
	}
	return s + p.TLS.describe() + p.Options.describe()
}

// proxyRoute is the route of a proxied role, nil for other roles.
func proxyRoute(cfg *lang.Config, role *lang.Role) *ProxyRoute {
	if role.Proxy == nil {
		return nil
	}
	return routeOf(cfg, role.Name, role.Name, role.Proxy, role.Healthcheck)
}

// accessoryRoute is the route of a proxied accessory, nil for others.
func accessoryRoute(cfg *lang.Config, acc *lang.Accessory) *ProxyRoute {
	if acc.Proxy == nil {
		return nil
	}
	return routeOf(cfg, acc.Name, "accessory."+acc.Name, acc.Proxy, acc.Healthcheck)
}

// routeOf is the route SERVICE-NAME of a proxy block; key names the role
// or accessory for the salt of its TLS key.
func routeOf(cfg *lang.Config, name, key string, p *lang.RoleProxy, hc *lang.Healthcheck) *ProxyRoute {
	interval := lang.ProbeInterval
	if hc != nil {
		interval = hc.Interval
	}
	return &ProxyRoute{
		Service: RouteName(cfg, name), AppPort: p.AppPort, Host: strings.Join(p.Hosts, ","), PathPrefix: p.PathPrefix,
		KeepPathPrefix: p.PathPrefix != "" && !p.StripPathPrefix,
		HealthPath:     p.HealthPath, HealthInterval: interval, DeployTimeout: p.DeployTimeout, DrainTimeout: p.DrainTimeout,
		TLS: routeTLS(cfg.Service.Name, key, p), CanonicalHost: p.CanonicalHost, Options: routeOptions(p.Options),
		ErrorPages: PagesDigest(p.ErrorPages),
	}
}

// ProxyRef is the proxy's image reference "repo:tag" without any digest.
func ProxyRef(cfg *lang.Config) string {
	return AccessoryRef(&lang.Accessory{Image: cmp.Or(cfg.Proxy.Image, lang.DefaultProxyImage)})
}

// proxyDigest is the digest pinned in the proxy image, else the resolved one.
func proxyDigest(cfg *lang.Config, digests map[string]string) string {
	if _, d := splitDigest(cfg.Proxy.Image); d != "" {
		return d
	}
	return digests[ProxyRef(cfg)]
}

// ProxySpec is the proxy container on a host. Its name is fixed and its
// version is the tag of its image. It publishes https_port only with
// https (see WantsHTTPS), so a proxy that serves no TLS route is not
// replaced when berth learns TLS.
func ProxySpec(cfg *lang.Config, host, digest string, https bool) ContainerSpec {
	ports := []lang.Port{{HostPort: cfg.Proxy.HTTPPort, ContainerPort: 80, Protocol: "tcp"}}
	if https {
		ports = append(ports, lang.Port{HostPort: cmp.Or(cfg.Proxy.HTTPSPort, 443), ContainerPort: 443, Protocol: "tcp"})
	}
	s := SpecSummary{
		Digest:  digest,
		Ports:   ports,
		Volumes: []string{ProxyVolume},
		Network: ProxyNetwork,
		Health: HealthSpec{Kind: HealthCmd, Cmd: []string{"kamal-proxy", "list"}, Interval: proxyHealthInterval,
			Retries: 3, Deadline: proxyHealthDeadline},
	}
	ref := ProxyRef(cfg)
	spec := finishSpec(cfg, s, map[string]string{LabelProxy: "true"}, ProxyContainer, ref, imageTag(ref))
	// Owned by no service: every service on the host shares it.
	delete(spec.Labels, LabelService)
	delete(spec.Labels, LabelDestination)
	return spec
}

// WantsHTTPS reports whether the proxy on host publishes its HTTPS port:
// a route of the service there has TLS, or a proxy that runs there does
// already (another service's TLS route may need it: once published, the
// port stays, so services do not take turns replacing the proxy).
func WantsHTTPS(cfg *lang.Config, host string, st HostState) bool {
	for _, r := range cfg.Roles {
		if r.Proxy != nil && r.Proxy.TLS != nil && slices.Contains(r.Hosts, host) {
			return true
		}
	}
	for _, a := range cfg.Accessories {
		if a.Proxy != nil && a.Proxy.TLS != nil && slices.Contains(a.Hosts, host) {
			return true
		}
	}
	for _, c := range st.Containers {
		if !c.IsProxy() || !c.Running() {
			continue
		}
		if s, ok := ParseSpecSummary(c.Labels[LabelSpec]); ok && slices.ContainsFunc(s.Ports, func(p lang.Port) bool { return p.ContainerPort == 443 }) {
			return true
		}
	}
	return false
}

// IsProxy reports whether a live container is berth's proxy.
func (c Container) IsProxy() bool { return c.Labels[LabelProxy] == "true" }

// proxyChange is the change of the shared proxy on host: create, replace
// or unchanged when a role of the service on host is proxied; remove when
// none is, the service used the proxy and no other service's route is left
// in it; ok is false otherwise (the proxy is not the service's to change).
func proxyChange(cfg *lang.Config, host string, st HostState, digests map[string]string) (Change, bool) {
	var group []Container
	for _, c := range st.Containers {
		if c.IsProxy() {
			group = append(group, c)
		}
	}
	slices.SortStableFunc(group, func(a, b Container) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.Name, a.Name))
	})
	addr := Address{Host: host, Proxy: true}
	if !cfg.Proxied(host) {
		if len(group) == 0 || !UsesProxy(cfg, st) || len(OtherRoutes(cfg, st)) > 0 {
			return Change{}, false
		}
		ch := Change{Address: addr, Action: ActionRemove, Stop: StopSpec{Timeout: cfg.Deploy.StopTimeout},
			Reasons: []Reason{{Field: "proxy", Old: ProxyContainer, New: "(no role on " + host + " is proxied)"},
				{Field: "routes", Old: "(this service's only)", New: "(none of another service)"}}}
		ch.Running, ch.Others = split(group)
		return ch, true
	}
	if ch, ok := adoptedProxy(addr, st, group); ok {
		return ch, true
	}
	d := ProxySpec(cfg, host, proxyDigest(cfg, digests), WantsHTTPS(cfg, host, st))
	return decide(addr, &d, group, false, StopSpec{Timeout: cfg.Deploy.StopTimeout}), true
}

// publishesPorts reports whether a live container was started with host ports.
func publishesPorts(c *Container) bool {
	if c == nil {
		return false
	}
	s, ok := ParseSpecSummary(c.Labels[LabelSpec])
	return ok && len(s.Ports) > 0
}

// checkKind is the step that decides whether a change's new container is
// good: switch for a proxied role, else health.
func checkKind(c Change) StepKind {
	if !c.Address.Proxy && c.Desired != nil && c.Desired.Proxy != nil {
		return StepSwitch
	}
	return StepHealth
}

// wireProxy adds the dependencies between the proxy of a host and the
// role changes on it (see BuildGraph). gateOf is the gate of the role
// changes of each host (the barrier and the previous batch); primaryHost
// is the host of the primary change ("" when there is none).
func wireProxy(steps []Step, changes []Change, gateOf map[string][]string, primaryHost string) []Step {
	index := make(map[string]int, len(steps))
	for i, s := range steps {
		index[s.ID] = i
	}
	dep := func(id string, deps ...string) {
		i, ok := index[id]
		if !ok {
			return
		}
		for _, d := range deps {
			if _, exists := index[d]; exists && !slices.Contains(steps[i].DependsOn, d) {
				steps[i].DependsOn = append(steps[i].DependsOn, d)
			}
		}
	}
	for _, p := range changes {
		if !p.Address.Proxy || p.Action == ActionUnchanged {
			continue
		}
		host := p.Address.Host
		for _, r := range changes {
			if r.Address.Host != host || r.Address.Proxy || r.Desired == nil ||
				(r.Action != ActionCreate && r.Action != ActionReplace) {
				continue
			}
			stopOld := stepID(r.Address, StepStopOld)
			if p.Action == ActionRemove {
				if len(r.Desired.Ports) == 0 {
					continue
				}
				// Back to published ports: the proxy frees the port
				// after the old container stopped, before the new one starts.
				dep(stepID(p.Address, StepRemove), stopOld)
				dep(stepID(r.Address, StepStart), stepID(p.Address, StepRemove))
				continue
			}
			if r.Desired.Proxy == nil {
				continue
			}
			dep(stepID(r.Address, StepSwitch), stepID(p.Address, StepHealth))
			if publishesPorts(r.Running) {
				// Onto the proxy: the old container frees the port first.
				dep(firstCutover(index, p.Address), stopOld)
			}
		}
		if p.Action == ActionRemove && host != primaryHost {
			gate, ok := gateOf[host]
			if !ok {
				gate = []string{BarrierID}
			}
			dep(stepID(p.Address, StepRemove), gate...)
		}
	}
	return steps
}

// firstCutover is the ID of the proxy's first step that touches what runs:
// stop_old when an old proxy runs, else start.
func firstCutover(index map[string]int, a Address) string {
	if _, ok := index[stepID(a, StepStopOld)]; ok {
		return stepID(a, StepStopOld)
	}
	return stepID(a, StepStart)
}
