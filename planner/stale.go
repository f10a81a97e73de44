package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berth-sh/berth/lang"
)

// ErrStale reports a plan whose configuration or hosts moved on since it
// was made. A *StaleError matches it with errors.Is.
var ErrStale = errors.New("plan is stale")

// StaleError lists what changed since the plan was made.
type StaleError struct {
	Problems []string
}

func (e *StaleError) Error() string {
	return "plan is stale: " + strings.Join(e.Problems, "; ") + "; make a new plan"
}

// Is makes errors.Is(err, ErrStale) true.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// CheckStale re-reads the hosts the plan recorded and compares their
// fingerprints, and compares the configuration's hash. It returns nil, a
// *StaleError saying what changed, or the error of a host that could not
// be read (naming it).
//
// Verify does this and more: it re-derives the whole plan.
func CheckStale(ctx context.Context, p *Plan, cfg *lang.Config, r StateReader) error {
	problems := configMoves(p, cfg)
	hosts := make([]string, len(p.Hosts))
	for i, h := range p.Hosts {
		hosts[i] = h.Name
	}
	states, err := readHosts(ctx, r, cfg, hosts, 0)
	if err != nil {
		return err
	}
	now := make(map[string]HostSnapshot, len(states))
	declared := hostIndex(cfg)
	for h, st := range states {
		now[h] = snapshot(declared[h], st)
	}
	problems = append(problems, hostMoves(p.Hosts, now)...)
	if len(problems) > 0 {
		return &StaleError{Problems: problems}
	}
	return nil
}

// configMoves says how the configuration differs from the plan's, if it does.
func configMoves(p *Plan, cfg *lang.Config) []string {
	if p.Destination != cfg.Destination {
		return []string{fmt.Sprintf("the plan is for destination %q, the configuration was loaded for %q", p.Destination, cfg.Destination)}
	}
	if cfg.Hash == p.ConfigHash {
		return nil
	}
	problems := []string{fmt.Sprintf("the configuration changed (config hash %s → %s)", shortDigest(p.ConfigHash), shortDigest(cfg.Hash))}
	return append(problems, variableMoves(p.Variables, cfg.Variables)...)
}

// hostMoves says which of the plan's hosts changed, against the snapshots
// taken now; a host missing from now is left to the caller.
func hostMoves(planned []HostSnapshot, now map[string]HostSnapshot) []string {
	var problems []string
	for _, h := range planned {
		n, ok := now[h.Name]
		if !ok || n.Fingerprint == h.Fingerprint {
			continue
		}
		what := describeMoves(h.Containers, n.Containers)
		if len(what) == 0 {
			what = []string{"live state differs"}
		}
		problems = append(problems, fmt.Sprintf("host %s changed: %s", h.Name, strings.Join(what, ", ")))
	}
	return problems
}

// describeMoves says which containers appeared, disappeared or changed.
func describeMoves(before, after []SnapshotContainer) []string {
	byID := func(cs []SnapshotContainer) map[string]SnapshotContainer {
		m := make(map[string]SnapshotContainer, len(cs))
		for _, c := range cs {
			m[c.ID] = c
		}
		return m
	}
	old, cur := byID(before), byID(after)
	var out []string
	for _, c := range before {
		n, ok := cur[c.ID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("container %s was removed", c.Name))
		case n.State != c.State:
			out = append(out, fmt.Sprintf("container %s %s → %s", c.Name, c.State, n.State))
		case n != c:
			out = append(out, fmt.Sprintf("container %s changed", c.Name))
		}
	}
	for _, c := range after {
		if _, ok := old[c.ID]; !ok {
			out = append(out, fmt.Sprintf("container %s (%s) appeared", c.Name, c.State))
		}
	}
	return out
}

// variableMoves says which variables differ from the plan's, the usual
// reason for a changed configuration hash (a --var given to plan, not to apply).
func variableMoves(planned, now []lang.Variable) []string {
	cur := make(map[string]lang.Variable, len(now))
	for _, v := range now {
		cur[v.Name] = v
	}
	var out []string
	for _, v := range planned {
		n, ok := cur[v.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("variable %s is no longer declared", v.Name))
		case v.Sensitive || n.Sensitive:
			if v.Hash != n.Hash {
				out = append(out, fmt.Sprintf("sensitive variable %s has another value", v.Name))
			}
		case v.Value != n.Value:
			out = append(out, fmt.Sprintf("variable %s was %q in the plan and is %q now (pass --var %s=%s?)", v.Name, v.Value, n.Value, v.Name, v.Value))
		}
	}
	return out
}
