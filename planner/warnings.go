package planner

import (
	"maps"
	"slices"
	"strings"
)

// WarningKind says what a plan warning is about.
type WarningKind string

// Warning is something a reviewer must know before applying a plan.
type Warning struct {
	Kind    WarningKind
	Address *Address // what it is about, when it is about one address
	Message string   // for a person; names the address when there is one
}

func (w Warning) String() string { return w.Message }

// Warnings are what a reviewer must know before applying the plan: a
// targeted (partial) plan, a barrier that guards nothing, a destroy, an
// accessory replaced.
func (p *Plan) Warnings() []Warning {
	var out []Warning
	add := func(k WarningKind, a *Address, msg string) {
		out = append(out, Warning{Kind: k, Address: a, Message: msg})
	}
	if p.Destroy {
		acc := ", except the accessories (no --include-accessories)."
		if p.IncludeAccessories {
			acc = ", accessories included (--include-accessories)."
		}
		add(WarnDestroy, nil, "This plan removes every container of service "+p.Service+" on the hosts listed"+acc)
	}
	if p.RemoveVolumes {
		add(WarnRemoveVolumes, nil, "This plan then removes the named volumes of the removed containers, and the data in them (--remove-volumes): "+p.volumeList()+".")
	}
	if len(p.Targets) > 0 {
		add(WarnTargeted, nil, "Targeting is in effect (--target "+strings.Join(p.Targets, ", ")+"): the plan may be partial, and after apply the hosts may not match the configuration.")
	}
	if len(p.Excludes) > 0 {
		add(WarnExcluded, nil, "Exclusion is in effect (--exclude "+strings.Join(p.Excludes, ", ")+"): the plan may be partial, and after apply the hosts may not match the configuration.")
	}
	primary, others := false, false
	for _, c := range p.Changes {
		if c.Primary && (c.Action == ActionCreate || c.Action == ActionReplace) {
			primary = true
		} else if c.Address.Role != "" && c.Action != ActionUnchanged && c.Action != ActionRemove {
			others = true
		}
	}
	for _, c := range p.Changes {
		if c.Address.Accessory != "" && c.Action == ActionReplace && c.Running != nil {
			a := c.Address
			add(WarnAccessoryReplace, &a, c.Address.String()+": the accessory's own configuration changed, so its container "+c.Running.Name+
				" is replaced (stopped, then a new one started; named volumes are kept). An app deploy alone never does this.")
		}
	}
	for _, c := range p.Changes {
		if c.Address.Proxy && c.Running != nil && c.Running.IsAdoptedProxy() {
			a := c.Address
			add(WarnAdoptedProxy, &a, c.Address.Host+": berth adopts Kamal's "+c.Running.Name+" as the host's proxy: the service's routes change inside it (a switch drops no request) and berth starts no "+ProxyContainer+" there.")
		}
	}
	if others && !primary && len(p.Targets)+len(p.Excludes) > 0 {
		add(WarnUnguarded, nil, "The primary role on its primary host is not part of this plan: the barrier opens at once, so no health check of the new version guards the other roles' cutover.")
	}
	return out
}

// volumeList renders Volumes as "h1: a, b; h3: c", or "none are mounted".
func (p *Plan) volumeList() string {
	var parts []string
	for _, h := range slices.Sorted(maps.Keys(p.Volumes)) {
		if len(p.Volumes[h]) > 0 {
			parts = append(parts, h+": "+strings.Join(p.Volumes[h], ", "))
		}
	}
	if len(parts) == 0 {
		return "none are mounted"
	}
	return strings.Join(parts, "; ")
}

// The kinds of plan warning.
const (
	WarnDestroy          WarningKind = "destroy"           // the plan removes every container of the service
	WarnRemoveVolumes    WarningKind = "remove_volumes"    // and the named volumes
	WarnTargeted         WarningKind = "targeted"          // --target: the plan may be partial
	WarnExcluded         WarningKind = "excluded"          // --exclude: the plan may be partial
	WarnAccessoryReplace WarningKind = "accessory_replace" // an accessory's own configuration changed
	WarnUnguarded        WarningKind = "unguarded"         // the barrier guards nothing: the primary is not in the plan
	WarnAdoptedProxy     WarningKind = "adopted_proxy"     // a takeover adopts Kamal's proxy on a host
)
