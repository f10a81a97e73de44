package planner

import (
	"slices"
	"strings"

	"github.com/berth-sh/berth/lang"
)

// Networks: every role and accessory container of a service joins the
// service's Docker network on its host (lang.Config.Network, by default
// "berth-SERVICE"), where an accessory answers to its short name and to
// its container name ("db" and "shop-db"); a proxied role's container
// also joins ProxyNetwork, where the host's proxy reaches it. The
// networks are part of the config hash (they shape the container), and
// the create step of a container makes sure they exist.

// accessoryAliases are the DNS names of an accessory on the service's network.
func accessoryAliases(cfg *lang.Config, acc *lang.Accessory) []string {
	return []string{acc.Name, cfg.Service.Name + "-" + acc.Name}
}

// Networks are the Docker networks the container joins, in order: the
// one it is created on (Network, with the aliases), then the proxy's.
func (s *ContainerSpec) Networks() []string {
	return joinedNetworks(s.Network, s.Proxy != nil)
}

func joinedNetworks(network string, proxied bool) []string {
	var out []string
	if network != "" {
		out = append(out, network)
	}
	if proxied && network != ProxyNetwork {
		out = append(out, ProxyNetwork)
	}
	return out
}

// describeNetworks renders the networks of a container for a plan's
// reasons: "berth-shop (as db, shop-db)", "berth-shop, berth",
// "(default bridge)".
func describeNetworks(s SpecSummary) string {
	nets := joinedNetworks(s.Network, s.Proxy != nil)
	if len(nets) == 0 {
		return "(default bridge)"
	}
	if len(s.Aliases) > 0 {
		nets[0] += " (as " + strings.Join(s.Aliases, ", ") + ")"
	}
	return strings.Join(nets, ", ")
}

// networkReason says how the networks of a container change, if they do.
func networkReason(o, n SpecSummary) (Reason, bool) {
	od, nd := describeNetworks(o), describeNetworks(n)
	if od == nd {
		return Reason{}, false
	}
	return Reason{Field: "network", Old: od, New: nd}, true
}

// HostNetworks are the networks an apply makes sure of on one host: those
// of every container it creates there.
type HostNetworks struct {
	Host     string
	Networks []string
}

// Networks lists, per host in plan order, the networks that the plan's
// creates and replaces join (each made where it is missing).
func (p *Plan) Networks() []HostNetworks {
	var out []HostNetworks
	at := map[string]int{}
	for _, c := range p.Changes {
		if c.Desired == nil || (c.Action != ActionCreate && c.Action != ActionReplace) {
			continue
		}
		i, ok := at[c.Address.Host]
		if !ok {
			i = len(out)
			at[c.Address.Host] = i
			out = append(out, HostNetworks{Host: c.Address.Host})
		}
		for _, n := range c.Desired.Networks() {
			if !slices.Contains(out[i].Networks, n) {
				out[i].Networks = append(out[i].Networks, n)
			}
		}
	}
	return slices.DeleteFunc(out, func(h HostNetworks) bool { return len(h.Networks) == 0 })
}
