package planner

import (
	"errors"
	"fmt"
	"slices"
)

// ReasonReplace is the field of the reason a change has because --replace
// named it.
const ReasonReplace = "replace"

// forceReplace makes every create, replace or unchanged change of a role
// or accessory that --replace names (a host, a role, an accessory or an
// address, as --target takes them) a replace that makes a new container,
// even of the desired version and configuration: Forced is set, and the
// desired container that runs becomes the one to stop. A name that matches
// no such change is an error.
func forceReplace(changes []Change, names []string) ([]Change, error) {
	var errs []error
	for _, n := range names {
		if !slices.ContainsFunc(changes, func(c Change) bool { return replaceable(c, []string{n}) && matchAny(c.Address, []string{n}) }) {
			errs = append(errs, fmt.Errorf("--replace %s: %w of the configuration that runs a container", n, ErrUnknownTarget))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range changes {
		c := &changes[i]
		if !replaceable(*c, names) || !matchAny(c.Address, names) {
			continue
		}
		c.Forced = true
		c.Reasons = append(c.Reasons, Reason{Field: ReasonReplace, New: "replace requested"})
		if c.Keep != nil { // the desired one runs beside others: it is replaced too
			c.Extra = append(c.Extra, *c.Running)
			c.Running, c.Keep = c.Keep, nil
		}
		if c.Action == ActionUnchanged {
			c.Action = ActionReplace
		}
	}
	return changes, nil
}

// replaceable reports whether --replace names may force a new container
// for c: the shared proxy only when a name is the proxy's own ("proxy",
// "berth-proxy", "h1/berth-proxy"; `berth proxy reboot`), never through
// a host's name.
func replaceable(c Change, names []string) bool {
	if c.Action == ActionRemove || c.Desired == nil {
		return false
	}
	return !c.Address.Proxy || slices.ContainsFunc(names, func(n string) bool {
		return n == "proxy" || n == ProxyContainer || n == c.Address.String()
	})
}
