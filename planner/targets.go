package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-sh/berth/lang"
)

// --target and --exclude: which hosts a plan reads and which changes it keeps.

// checkTargets refuses a target or exclude that names no declared host,
// role or accessory and matches no change (a role removed from the
// configuration can still be targeted: its removal is a change).
func checkTargets(cfg *lang.Config, changes []Change, departed []RosterHost, opts Options) error {
	var errs []error
	for flag, names := range map[string][]string{"--target": opts.Targets, "--exclude": opts.Excludes} {
		for _, n := range names {
			if declared(cfg, n) || slices.ContainsFunc(changes, func(c Change) bool { return matchAny(c.Address, []string{n}) }) ||
				slices.ContainsFunc(departed, func(d RosterHost) bool { return d.Name == n }) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s %s: %w of the configuration or the hosts", flag, n, ErrUnknownTarget))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func declared(cfg *lang.Config, name string) bool {
	if cfg.Host(name) != nil {
		return true
	}
	for _, r := range cfg.Roles {
		if r.Name == name {
			return true
		}
		for _, h := range r.Hosts {
			if name == h+"/"+r.Name {
				return true
			}
		}
	}
	for _, a := range cfg.Accessories {
		if name == a.Name || name == "accessory."+a.Name {
			return true
		}
		for _, h := range a.Hosts {
			if name == h+"/accessory."+a.Name {
				return true
			}
		}
	}
	return false
}

// hostsToRead is every declared host in plan order, minus hosts excluded by
// name; with targets that are all host names, only those hosts.
func hostsToRead(cfg *lang.Config, opts Options) []string {
	var out []string
	onlyHosts := len(opts.Targets) > 0
	for _, t := range opts.Targets {
		if cfg.Host(t) == nil {
			onlyHosts = false
		}
	}
	for _, h := range hostOrder(cfg) {
		if onlyHosts && !slices.Contains(opts.Targets, h) {
			continue
		}
		if slices.Contains(opts.Excludes, h) {
			continue
		}
		out = append(out, h)
	}
	return out
}

// filterTargets keeps the changes that --target names (all when none) and
// --exclude does not.
func filterTargets(changes []Change, targets, excludes []string) []Change {
	var out []Change
	for _, c := range changes {
		if len(targets) > 0 && !matchAny(c.Address, targets) {
			continue
		}
		if matchAny(c.Address, excludes) {
			continue
		}
		out = append(out, c)
	}
	return out
}
