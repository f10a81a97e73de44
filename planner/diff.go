package planner

import (
	"cmp"
	"maps"
	"slices"

	"github.com/berth-sh/berth/lang"
)

// diffInput is everything the diff needs; it is a pure function of it.
type diffInput struct {
	cfg    *lang.Config
	states map[string]HostState // by host name; hosts that were not read are absent
	// departed are the hosts that left the configuration (read from a
	// roster): everything of the service on them is removed.
	departed map[string]HostState
	digests  map[string]string // image ref "repo:tag" -> "sha256:..."
	destroy  bool
	// includeAccessories makes a destroy remove accessories too.
	includeAccessories bool
}

// groupKey identifies the containers of one role or accessory on a host.
type groupKey struct {
	role, accessory string
}

// diff computes the changes, ordered: primary host first then config host
// order; within a host the primary role first, then role order, then
// accessories, then removes.
func diff(in diffInput) []Change {
	cfg := in.cfg
	var primaryHost string
	if pr := cfg.PrimaryRole(); pr != nil && len(pr.Hosts) > 0 {
		primaryHost = pr.Hosts[0]
	}
	var changes []Change
	roles := rolesPrimaryFirst(cfg)
	roleOn, accessoryOn := hostSets(roles, cfg.Accessories)
	for _, host := range hostOrder(cfg) {
		st, ok := in.states[host]
		if !ok {
			continue
		}
		groups := groupContainers(st.Containers, cfg.Service.Name)
		if in.destroy {
			changes = append(changes, destroyChanges(cfg, host, groups, in.includeAccessories)...)
			if pc, ok := proxyChange(&lang.Config{Service: cfg.Service, Deploy: cfg.Deploy}, host, st, nil); ok {
				changes = append(changes, pc)
			} else if pc, ok := adoptedOn(host, st); ok {
				changes = append(changes, pc) // the routes to remove are in Kamal's proxy
			}
			continue
		}
		for i, r := range roles {
			if roleOn[i][host] {
				changes = append(changes, roleChange(in, r, host, r.Primary && host == primaryHost, groups))
			}
		}
		if pc, ok := proxyChange(cfg, host, st, in.digests); ok {
			changes = append(changes, pc)
		}
		for i := range cfg.Accessories {
			if accessoryOn[i][host] {
				changes = append(changes, accessoryDecision(in, &cfg.Accessories[i], host, groups))
			}
		}
		changes = append(changes, leftoverRemoves(cfg, host, groups, false)...)
	}
	for _, host := range slices.Sorted(maps.Keys(in.departed)) {
		st := in.departed[host]
		groups := groupContainers(st.Containers, cfg.Service.Name)
		if in.destroy {
			changes = append(changes, destroyChanges(cfg, host, groups, in.includeAccessories)...)
		} else {
			changes = append(changes, leftoverRemoves(cfg, host, groups, true)...)
		}
		if pc, ok := proxyChange(&lang.Config{Service: cfg.Service, Deploy: cfg.Deploy}, host, st, nil); ok {
			pc.Reasons = []Reason{{Field: "host", Old: host, New: "(left the configuration)"}}
			changes = append(changes, pc)
		}
	}
	takeoverReasons(changes)
	return changes
}

// roleChange decides a role's change on host from its containers there,
// which it takes out of groups.
func roleChange(in diffInput, r *lang.Role, host string, primary bool, groups map[groupKey][]Container) Change {
	key := groupKey{role: r.Name}
	d := Spec(in.cfg, r, host, in.digests[ServiceRef(in.cfg)])
	defer delete(groups, key)
	return decide(Address{Host: host, Role: r.Name}, &d, groups[key], primary, StopSpec(r.Stop))
}

// accessoryDecision decides an accessory's change on host from its
// containers there, which it takes out of groups.
func accessoryDecision(in diffInput, a *lang.Accessory, host string, groups map[groupKey][]Container) Change {
	key := groupKey{accessory: a.Name}
	d := AccessorySpec(in.cfg, a, host, accessoryDigest(a, in.digests))
	defer delete(groups, key)
	return decide(Address{Host: host, Accessory: a.Name}, &d, groups[key], false, StopSpec(a.Stop))
}

// hostSets index the hosts of each role and accessory, once per diff
// rather than a scan of their host lists per host.
func hostSets(roles []*lang.Role, accessories []lang.Accessory) (roleOn, accessoryOn []map[string]bool) {
	set := func(hosts []string) map[string]bool {
		m := make(map[string]bool, len(hosts))
		for _, h := range hosts {
			m[h] = true
		}
		return m
	}
	for _, r := range roles {
		roleOn = append(roleOn, set(r.Hosts))
	}
	for i := range accessories {
		accessoryOn = append(accessoryOn, set(accessories[i].Hosts))
	}
	return roleOn, accessoryOn
}

// accessoryDigest is the digest pinned in the accessory's image, else the resolved one.
func accessoryDigest(a *lang.Accessory, digests map[string]string) string {
	if _, d := splitDigest(a.Image); d != "" {
		return d
	}
	return digests[AccessoryRef(a)]
}

// hostOrder is the primary host first, then the configuration's host order.
func hostOrder(cfg *lang.Config) []string {
	out := make([]string, 0, len(cfg.Hosts)+1)
	primary := ""
	if pr := cfg.PrimaryRole(); pr != nil && len(pr.Hosts) > 0 {
		primary = pr.Hosts[0]
		out = append(out, primary)
	}
	for _, h := range cfg.Hosts {
		if h.Name != primary {
			out = append(out, h.Name)
		}
	}
	return out
}

// rolesPrimaryFirst returns the roles with the primary role first.
func rolesPrimaryFirst(cfg *lang.Config) []*lang.Role {
	out := make([]*lang.Role, 0, len(cfg.Roles))
	for i := range cfg.Roles {
		if cfg.Roles[i].Primary {
			out = append(out, &cfg.Roles[i])
		}
	}
	for i := range cfg.Roles {
		if !cfg.Roles[i].Primary {
			out = append(out, &cfg.Roles[i])
		}
	}
	return out
}

// groupContainers groups the service's containers by role or accessory,
// newest first. Containers of another service or without a role or
// accessory label are left out: berth never touches them.
func groupContainers(cs []Container, service string) map[groupKey][]Container {
	groups := map[groupKey][]Container{}
	for _, c := range cs {
		if c.Takeover == "" && c.Labels != nil && c.Labels[LabelService] != service {
			continue
		}
		if (c.Role == "") == (c.Accessory == "") {
			continue
		}
		k := groupKey{role: c.Role, accessory: c.Accessory}
		groups[k] = append(groups[k], c)
	}
	for _, g := range groups {
		slices.SortStableFunc(g, func(a, b Container) int {
			if c := b.Created.Compare(a.Created); c != 0 {
				return c
			}
			return cmp.Compare(b.Name, a.Name)
		})
	}
	return groups
}

// split returns the newest running container of a group and the others.
func split(group []Container) (*Container, []Container) {
	for i, c := range group {
		if c.Running() {
			others := slices.Concat(group[:i:i], group[i+1:])
			return &c, nilIfEmpty(others)
		}
	}
	return nil, nilIfEmpty(slices.Clone(group))
}

func nilIfEmpty(cs []Container) []Container {
	if len(cs) == 0 {
		return nil
	}
	return cs
}

// decide compares the live containers of one address with the desired
// spec. The desired state is exact: one running container of the desired
// version and config. Every other running container is stopped by the
// change (Running and Extra), with a reason each.
func decide(addr Address, d *ContainerSpec, group []Container, primary bool, stop StopSpec) Change {
	ch := Change{Address: addr, Primary: primary, Desired: d, Stop: stop}
	if len(group) == 0 {
		ch.Action = ActionCreate
		return ch
	}
	var keep *Container
	for i := range group { // the one with the desired name first
		if group[i].Running() && isDesired(group[i], d) && (keep == nil || group[i].Name == d.Name) {
			keep = &group[i]
		}
	}
	if keep != nil {
		rest := slices.DeleteFunc(slices.Clone(group), func(c Container) bool { return c.ID == keep.ID })
		ch.Running, ch.Others = split(rest)
		if ch.Running == nil {
			ch.Running, ch.Others = keep, nilIfEmpty(rest)
			ch.Action = ActionUnchanged
			return ch
		}
		ch.Extra, ch.Others = splitRunning(ch.Others)
		ch.Keep = keep
		ch.Action = ActionReplace
		ch.Reasons = extraReasons(addr, append([]Container{*ch.Running}, ch.Extra...))
		return ch
	}
	ch.Running, ch.Others = split(group)
	ch.Extra, ch.Others = splitRunning(ch.Others)
	current := group[0]
	if ch.Running != nil {
		current = *ch.Running
	}
	ch.Reasons = append(reasons(current, d), extraReasons(addr, ch.Extra)...)
	ch.Action = ActionReplace
	return ch
}

// isDesired reports whether c is the desired container: same version and
// same config (a container of berth 0.1 counts by its config without the
// stop timeout, which no longer shapes a container).
func isDesired(c Container, d *ContainerSpec) bool {
	return c.Version == d.Labels[LabelVersion] && sameConfig(c, d)
}

func sameConfig(c Container, d *ContainerSpec) bool {
	if c.ConfigHash == d.ConfigHash {
		return true
	}
	h, ok := LegacyHash(c.Labels[LabelSpec])
	return ok && h == d.ConfigHash
}

// splitRunning separates the running containers of cs from the others.
func splitRunning(cs []Container) (running, others []Container) {
	for _, c := range cs {
		if c.Running() {
			running = append(running, c)
		} else {
			others = append(others, c)
		}
	}
	return running, others
}

// extraReasons say, per container to stop, that it runs beside another.
func extraReasons(addr Address, cs []Container) []Reason {
	var rs []Reason
	for _, c := range cs {
		rs = append(rs, Reason{Field: "running", Old: c.Name, New: "a second container of " + addr.String() + " runs", Op: OpStop})
	}
	return rs
}

func destroyChanges(cfg *lang.Config, host string, groups map[groupKey][]Container, accessories bool) []Change {
	var out []Change
	for _, k := range sortedKeys(groups) {
		if k.accessory != "" && !accessories {
			continue
		}
		ch := Change{Address: Address{Host: host, Role: k.role, Accessory: k.accessory}, Action: ActionRemove,
			Reasons: []Reason{{Field: "destroy", New: "every container of the service is removed"}}, Stop: stopFor(cfg, k)}
		ch.Running, ch.Others = split(groups[k])
		out = append(out, ch)
	}
	return out
}

// leftoverRemoves are the groups no role or accessory of the config claims
// on this host: the role or accessory left the config, or this host left it.
func leftoverRemoves(cfg *lang.Config, host string, groups map[groupKey][]Container, departed bool) []Change {
	var out []Change
	for _, k := range sortedKeys(groups) {
		ch := Change{Address: Address{Host: host, Role: k.role, Accessory: k.accessory}, Action: ActionRemove, Stop: stopFor(cfg, k)}
		ch.Running, ch.Others = split(groups[k])
		ch.Reasons = []Reason{removeReason(cfg, k, host)}
		if departed {
			ch.Reasons = []Reason{{Field: "host", Old: host, New: "(left the configuration)"}}
		}
		out = append(out, ch)
	}
	return out
}

// stopFor is how the containers of a role or accessory are stopped: its
// own settings while it is in the configuration, else deploy.stop_timeout
// and the containers' own stop signal.
func stopFor(cfg *lang.Config, k groupKey) StopSpec {
	for _, r := range cfg.Roles {
		if k.role != "" && r.Name == k.role {
			return StopSpec(r.Stop)
		}
	}
	for _, a := range cfg.Accessories {
		if k.accessory != "" && a.Name == k.accessory {
			return StopSpec(a.Stop)
		}
	}
	return StopSpec{Timeout: cfg.Deploy.StopTimeout}
}

func removeReason(cfg *lang.Config, k groupKey, host string) Reason {
	if k.role != "" {
		for _, r := range cfg.Roles {
			if r.Name == k.role {
				return Reason{Field: "hosts", Old: host, New: "(host no longer in role " + k.role + ")"}
			}
		}
		return Reason{Field: "role", Old: k.role, New: "(no longer in the configuration)"}
	}
	for _, a := range cfg.Accessories {
		if a.Name == k.accessory {
			return Reason{Field: "hosts", Old: host, New: "(host no longer in accessory " + k.accessory + ")"}
		}
	}
	return Reason{Field: "accessory", Old: k.accessory, New: "(no longer in the configuration)"}
}

func sortedKeys(groups map[groupKey][]Container) []groupKey {
	keys := slices.Collect(maps.Keys(groups))
	slices.SortFunc(keys, func(a, b groupKey) int {
		// roles before accessories, then by name
		return cmp.Or(cmp.Compare(len(a.accessory), 0)-cmp.Compare(len(b.accessory), 0), cmp.Compare(a.role, b.role), cmp.Compare(a.accessory, b.accessory))
	})
	return keys
}

// matchAny reports whether addr is named by any entry of names: its host,
// its role, its accessory (as NAME or accessory.NAME) or its full address.
func matchAny(addr Address, names []string) bool {
	for _, n := range names {
		switch {
		case n == addr.Host, n == addr.String(),
			addr.Role != "" && n == addr.Role,
			addr.Accessory != "" && (n == addr.Accessory || n == "accessory."+addr.Accessory),
			addr.Proxy && (n == "proxy" || n == ProxyContainer):
			return true
		}
	}
	return false
}
