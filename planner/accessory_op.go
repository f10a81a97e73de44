package planner

import (
	"errors"
	"fmt"
	"slices"

	"github.com/berth-sh/berth/lang"
)

// The actions of `berth accessory stop|restart`; `accessory start` plans
// what a plan of the accessory alone plans for a stopped one: a replace
// that starts its retained container again (see Change.StartsStopped).
const (
	ActionStop    Action = "stop"    // stop the running container and keep it
	ActionRestart Action = "restart" // stop the running container, start it again, wait for it to be healthy
)

// The day-two operations on one accessory.
const (
	OpAccessoryStop    = "stop"
	OpAccessoryStart   = "start"
	OpAccessoryRestart = "restart"
)

// AccessoryOp is `berth accessory OP NAME`: a plan of that accessory
// alone, on every host it runs on.
type AccessoryOp struct {
	Op   string `json:"op"`   // OpAccessoryStop, OpAccessoryStart or OpAccessoryRestart
	Name string `json:"name"` // the accessory
}

// ErrNotAnAccessory reports an accessory operation on a name the
// configuration has no accessory of.
var ErrNotAnAccessory = errors.New("no accessory of that name")

// accessoryChanges turns the changes of a plan into those of op: only the
// accessory's, each one a stop, a restart or a start.
func accessoryChanges(cfg *lang.Config, changes []Change, op *AccessoryOp) ([]Change, error) {
	if !slices.ContainsFunc(cfg.Accessories, func(a lang.Accessory) bool { return a.Name == op.Name }) {
		var names []string
		for _, a := range cfg.Accessories {
			names = append(names, a.Name)
		}
		return nil, fmt.Errorf("%s: %w (the configuration has %v)", op.Name, ErrNotAnAccessory, names)
	}
	var out []Change
	for _, c := range changes {
		if c.Address.Accessory != op.Name || c.Action == ActionRemove {
			continue
		}
		out = append(out, accessoryChange(c, op))
	}
	return out, nil
}

// accessoryChange is one host's change of op. A running container is
// stopped or restarted as it is, whatever its configuration (the next
// plan says whether it differs); a start does what the plan would do when
// nothing runs, and nothing when something does.
func accessoryChange(c Change, op *AccessoryOp) Change {
	running := c.Running
	if running == nil {
		running = c.Keep
	}
	if running == nil {
		if op.Op == OpAccessoryStop {
			c.Action, c.Reasons = ActionUnchanged, nil // nothing runs: stopped already
		}
		return c // start, restart: start it (the plan's create or replace)
	}
	if op.Op == OpAccessoryStart {
		c.Action, c.Reasons = ActionUnchanged, nil
		return c
	}
	extra := slices.Clone(c.Extra)
	if c.Keep != nil && c.Running != nil {
		extra = append([]Container{*c.Running}, extra...)
	}
	ch := Change{Address: c.Address, Running: running, Extra: nilIfEmpty(extra), Others: c.Others, Desired: c.Desired, Stop: c.Stop}
	switch op.Op {
	case OpAccessoryStop:
		ch.Action = ActionStop
		ch.Reasons = []Reason{{Field: "state", Old: "running", New: "stopped (until berth accessory start " + op.Name + " or an apply starts it)"}}
	default:
		ch.Action = ActionRestart
		ch.Reasons = []Reason{{Field: "state", Old: "running", New: "stopped, then started again"}}
	}
	ch.Reasons = append(ch.Reasons, extraReasons(c.Address, ch.Extra)...)
	return ch
}

// StartsStopped reports whether a change only starts the stopped, retained
// container of its address again (what a plan does with an accessory or a
// role stopped by hand): the same version and configuration, nothing runs.
func (c Change) StartsStopped() bool {
	if c.Action != ActionReplace || c.Running != nil || c.Keep != nil || len(c.Extra) > 0 || c.Desired == nil {
		return false
	}
	for _, o := range c.Others {
		if o.Version == c.Desired.Labels[LabelVersion] && o.ConfigHash == c.Desired.ConfigHash {
			return len(c.Reasons) == 1 && c.Reasons[0].Field == "state"
		}
	}
	return false
}
