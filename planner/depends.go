package planner

import (
	"slices"

	"github.com/berth-sh/berth/lang"
)

// wireAccessories makes a role wait for the accessories it depends on
// (lang.Role.DependsOn, default every accessory): when an accessory gets a
// new container in this plan (a first apply, a replace), the first cutover
// step of every create or replace of a dependent role, on every host,
// depends on that accessory's health step. A role is thus never started
// against a database that is not up yet; the barrier rules are unchanged,
// and an accessory that fails its health check holds the roles back.
func wireAccessories(steps []Step, changes []Change, cfg *lang.Config) []Step {
	healthOf := map[string][]string{} // accessory -> its health steps
	for _, c := range changes {
		if c.Address.Accessory != "" && (c.Action == ActionCreate || c.Action == ActionReplace) {
			healthOf[c.Address.Accessory] = append(healthOf[c.Address.Accessory], stepID(c.Address, checkKind(c)))
		}
	}
	if len(healthOf) == 0 {
		return steps
	}
	roles := map[string]*lang.Role{}
	for i := range cfg.Roles {
		roles[cfg.Roles[i].Name] = &cfg.Roles[i]
	}
	for i := range steps {
		s := &steps[i]
		r := roles[s.Address.Role]
		if r == nil || s.Address.Accessory != "" || s.Address.Proxy || !slices.Contains(s.DependsOn, stepID(s.Address, StepCreate)) {
			continue // only a role's first cutover step follows its create
		}
		for _, a := range cfg.Accessories {
			if r.Depends(a.Name) {
				s.DependsOn = append(s.DependsOn, healthOf[a.Name]...)
			}
		}
	}
	return steps
}
