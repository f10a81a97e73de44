package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// orderRoles picks the primary role (primary = true, else the role named
// "web") and puts it first.
func (l *loader) orderRoles(cfg *Config, blocks map[string][]*hcl.Block) {
	roleBlocks := blocks["role"]
	if len(roleBlocks) == 0 {
		subject := l.firstFileRange()
		if s := blocks["service"]; len(s) > 0 {
			subject = s[0].DefRange.Ptr()
		}
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No roles",
			Detail: `A configuration needs at least one role block, e.g. role "web" { hosts = [host.h1] }.`, Subject: subject})
		return
	}
	primary := -1
	for i, r := range cfg.Roles {
		if !r.Primary {
			continue
		}
		if primary >= 0 {
			rng := l.primaryRanges[r.Name]
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Several primary roles",
				Detail: fmt.Sprintf("Both %q and %q say primary = true; exactly one role is primary.", cfg.Roles[primary].Name, r.Name), Subject: &rng})
			continue
		}
		primary = i
	}
	if primary < 0 {
		for i, r := range cfg.Roles {
			if _, explicit := l.primaryRanges[r.Name]; r.Name == "web" && !explicit {
				primary = i
				cfg.Roles[i].Primary = true
			}
		}
	}
	if primary < 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No primary role",
			Detail: `Exactly one role is primary: mark one with primary = true, or name it "web".`, Subject: roleBlocks[0].DefRange.Ptr()})
		return
	}
	for i := range cfg.Roles {
		if i != primary {
			cfg.Roles[i].Primary = false
		}
	}
	p := cfg.Roles[primary]
	copy(cfg.Roles[1:primary+1], cfg.Roles[:primary])
	cfg.Roles[0] = p
}

// checkNames refuses a role and an accessory with the same name.
func (l *loader) checkNames(blocks map[string][]*hcl.Block) {
	roles := map[string]bool{}
	for _, b := range blocks["role"] {
		roles[b.Labels[0]] = true
	}
	for _, b := range blocks["accessory"] {
		if roles[b.Labels[0]] {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate name",
				Detail: fmt.Sprintf("%q names both a role and an accessory; their containers would be confused.", b.Labels[0]), Subject: b.LabelRanges[0].Ptr()})
		}
	}
}

// checkUnusedHosts warns about a host that no role or accessory uses.
func (l *loader) checkUnusedHosts(cfg *Config, hostBlocks []*hcl.Block) {
	used := map[string]bool{}
	for _, r := range cfg.Roles {
		for _, h := range r.Hosts {
			used[h] = true
		}
	}
	for _, a := range cfg.Accessories {
		for _, h := range a.Hosts {
			used[h] = true
		}
	}
	for _, b := range hostBlocks {
		if !used[b.Labels[0]] {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unused host",
				Detail: fmt.Sprintf("The host %q is in no role and no accessory; berth will not touch it.", b.Labels[0]), Subject: b.DefRange.Ptr()})
		}
	}
}
