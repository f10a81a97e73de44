package planner

import "github.com/berth-sh/berth/lang"

// takeoverReasons say, container by container, what each change takes
// over from another tool (a container with Takeover set, read because of
// the service's takeover block): its running containers are stopped and
// kept, never removed. An unchanged change takes nothing over.
func takeoverReasons(changes []Change) {
	for i := range changes {
		ch := &changes[i]
		if ch.Action == ActionUnchanged {
			continue
		}
		var running []Container
		if ch.Running != nil {
			running = append(running, *ch.Running)
		}
		for _, c := range append(running, ch.Extra...) {
			if c.Takeover == "" || !c.Running() {
				continue
			}
			ch.Reasons = append(ch.Reasons, Reason{Field: "takeover", Old: c.Name + " (" + c.Takeover + "'s)", New: "stopped and kept, never removed"})
		}
		if ch.Action != ActionRemove {
			continue
		}
		for _, c := range ch.Others { // a remove would otherwise seem to take them
			if c.Takeover != "" {
				ch.Reasons = append(ch.Reasons, Reason{Field: "takeover", Old: c.Name + " (" + c.Takeover + "'s)", New: "kept, never removed"})
			}
		}
	}
}

// TakenOver reports whether c is another tool's container: an apply stops
// it and keeps it, and never removes it (no prune, no remove, no destroy).
func TakenOver(c Container) bool { return c.Takeover != "" }

// KamalProxy is the name of Kamal's proxy container (on Kamal's network
// "kamal"). With a takeover, a host where it runs and berth's proxy does
// not adopts it as the host's proxy: the routes switch inside it, so that
// no request fails, and berth starts no proxy of its own there.
const KamalProxy = "kamal-proxy"

// KamalNetwork is Kamal's Docker network, where its proxy reaches the
// containers it routes to.
const KamalNetwork = "kamal"

// IsAdoptedProxy reports whether c is Kamal's proxy, read for a takeover.
func (c Container) IsAdoptedProxy() bool { return c.Takeover != "" && c.Name == KamalProxy }

// adoptedProxy is the change of a host's proxy when Kamal's runs there and
// berth's does not: unchanged, Kamal's proxy the one that runs.
func adoptedProxy(addr Address, st HostState, group []Container) (Change, bool) {
	for _, c := range group {
		if c.Running() {
			return Change{}, false
		}
	}
	for _, c := range st.Containers {
		if c.IsAdoptedProxy() && c.Running() {
			return Change{Address: addr, Action: ActionUnchanged, Running: &c}, true
		}
	}
	return Change{}, false
}

// AdoptedProxy is the container name of the proxy that a plan's proxy
// change on host adopted ("" when none: berth's own proxy serves it).
func (p *Plan) AdoptedProxy(host string) string {
	for _, c := range p.Changes {
		if c.Address.Host == host && c.Address.Proxy && c.Running != nil && c.Running.IsAdoptedProxy() {
			return c.Running.Name
		}
	}
	return ""
}

// RouteName is a proxied role's route in the proxy: SERVICE-ROLE, or,
// taking over a Kamal app of a destination, Kamal's own name for it
// SERVICE-ROLE-DESTINATION, so that the takeover moves Kamal's route.
func RouteName(cfg *lang.Config, role string) string {
	name := cfg.Service.Name + "-" + role
	if t := cfg.Service.Takeover; t != nil && t.From == lang.TakeoverKamal && t.Destination != "" {
		name += "-" + t.Destination
	}
	return name
}

// adoptedOn is the unchanged change of Kamal's proxy on host where it
// serves the host (berth's proxy does not run there).
func adoptedOn(host string, st HostState) (Change, bool) {
	var group []Container
	for _, c := range st.Containers {
		if c.IsProxy() {
			group = append(group, c)
		}
	}
	return adoptedProxy(Address{Host: host, Proxy: true}, st, group)
}
