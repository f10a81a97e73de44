package planner

// Hook is an executable of the configuration's .berth/hooks/ that an apply
// of the plan runs on the machine that runs berth (internal/hooks finds and
// runs them; the planner only records them). A saved plan records each
// hook with the digest of its file, and apply FILE refuses the plan as
// stale when a hook was added, removed or changed since.
type Hook struct {
	Name   string `json:"name"`   // "pre-apply", "post-barrier", ...
	Path   string `json:"path"`   // relative to the configuration directory: ".berth/hooks/pre-apply"
	Digest string `json:"digest"` // "sha256:..." of the file's bytes
}

// Hook returns the plan's hook of that name, if the plan runs one.
func (p *Plan) Hook(name string) (Hook, bool) {
	for _, h := range p.Hooks {
		if h.Name == name {
			return h, true
		}
	}
	return Hook{}, false
}

// hookMoves says which hooks were added, removed or changed since the plan.
func hookMoves(planned, now []Hook) []string {
	var out []string
	byName := map[string]Hook{}
	for _, h := range now {
		byName[h.Name] = h
	}
	for _, h := range planned {
		n, ok := byName[h.Name]
		switch {
		case !ok:
			out = append(out, "hook "+h.Name+" was removed since the plan")
		case n.Digest != h.Digest:
			out = append(out, "hook "+h.Name+" changed since the plan ("+h.Digest+" in the plan, "+n.Digest+" now)")
		}
		delete(byName, h.Name)
	}
	for _, h := range now {
		if _, ok := byName[h.Name]; ok {
			out = append(out, "hook "+h.Name+" was added since the plan ("+h.Path+")")
		}
	}
	return out
}
