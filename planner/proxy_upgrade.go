package planner

import (
	"slices"
	"strings"
)

// chainProxyReplaces makes the replaces of the shared proxy (a new proxy
// image, a changed proxy block, `berth proxy reboot --rolling`) go host by
// host in the plan's host order, primary host first: the first cutover
// step of each host's proxy waits for the health step of the proxy
// replaced before it, which passes only once the new proxy serves every
// route the old one did. So at most one host's proxy is down at a time
// and a load balancer in front always has the others.
func chainProxyReplaces(steps []Step, changes []Change) []Step {
	index := make(map[string]int, len(steps))
	for i, s := range steps {
		index[s.ID] = i
	}
	prev := ""
	for _, c := range changes {
		if !c.Address.Proxy || c.Action != ActionReplace {
			continue
		}
		first := firstCutover(index, c.Address)
		if i, ok := index[first]; ok && prev != "" && !slices.Contains(steps[i].DependsOn, prev) {
			steps[i].DependsOn = append(steps[i].DependsOn, prev)
		}
		if _, ok := index[stepID(c.Address, StepHealth)]; ok {
			prev = stepID(c.Address, StepHealth)
		}
	}
	return steps
}

// unchainProxies drops what chainProxyReplaces added: every host's proxy
// is replaced at once.
func unchainProxies(g Graph) Graph {
	health := "/" + ProxyContainer + "/" + string(StepHealth)
	for i := range g.Steps {
		s := &g.Steps[i]
		if !s.Address.Proxy {
			continue
		}
		own := s.Address.String() + "/"
		s.DependsOn = slices.DeleteFunc(slices.Clone(s.DependsOn), func(d string) bool {
			return strings.HasSuffix(d, health) && !strings.HasPrefix(d, own)
		})
	}
	return g
}
