package planner

// takeoverReasons say, container by container, what each change takes
// over from another tool (a container with Takeover set, read because of
// the service's takeover block): its running containers are stopped and
// kept, never removed. An unchanged change takes nothing over.
func takeoverReasons(changes []Change) {
	for i := range changes {
		ch := &changes[i]
		if ch.Action == ActionUnchanged {
			continue
		}
		var running []Container
		if ch.Running != nil {
			running = append(running, *ch.Running)
		}
		for _, c := range append(running, ch.Extra...) {
			if c.Takeover == "" || !c.Running() {
				continue
			}
			ch.Reasons = append(ch.Reasons, Reason{Field: "takeover", Old: c.Name + " (" + c.Takeover + "'s)", New: "stopped and kept, never removed"})
		}
	}
}

// TakenOver reports whether c is another tool's container: an apply stops
// it and keeps it, and never removes it (no prune, no remove, no destroy).
func TakenOver(c Container) bool { return c.Takeover != "" }
