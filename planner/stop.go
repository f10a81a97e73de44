package planner

// berth stop ROLE and berth start ROLE are plans too.

// stopChanges turns every role change with a running container into a
// stop of it (and of any other running one); the others change nothing.
func stopChanges(changes []Change) []Change {
	for i := range changes {
		c := &changes[i]
		if c.Address.Role == "" || c.Action == ActionRemove {
			c.Action, c.Reasons = ActionUnchanged, nil
			continue
		}
		if c.Keep != nil {
			c.Extra = append(c.Extra, *c.Keep)
			c.Keep = nil
		}
		if c.Running == nil && len(c.Extra) == 0 {
			c.Action, c.Reasons = ActionUnchanged, nil
			continue
		}
		c.Action, c.Desired, c.Forced = ActionStop, nil, false
		c.Reasons = []Reason{{Field: "state", Old: "running", New: "stopped (berth stop; the next apply starts it again)"}}
	}
	return changes
}

// Restarts reports whether the change only starts the retained container
// that is exactly the desired one again (what berth start does), nothing
// else: no other version or configuration, no other running container.
func (c Change) Restarts() bool {
	if c.Action != ActionReplace || c.Running != nil || len(c.Extra) > 0 || c.Keep != nil || c.Desired == nil || c.Forced {
		return false
	}
	for _, o := range c.Others {
		if !o.Running() && o.Version == c.Desired.Labels[LabelVersion] && o.ConfigHash == c.Desired.ConfigHash {
			return true
		}
	}
	return false
}
