package chaos

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Container is one container of the service as `docker ps -a` on its host
// shows it.
type Container struct {
	Host, Name, Role, Version, State string
}

// View is what the hosts run, read by the harness itself (not by berth).
type View []Container

// Running lists the running containers of slot.
func (v View) Running(s Slot) []Container {
	var out []Container
	for _, c := range v {
		if c.Host == s.Host && c.Role == s.Role && c.State == "running" {
			out = append(out, c)
		}
	}
	return out
}

// Exact reports whether slot runs exactly one container, of version.
func (v View) Exact(s Slot, version string) bool {
	r := v.Running(s)
	return len(r) == 1 && r[0].Version == version
}

// Describe says what slot runs: "runs v2", "runs v1 and v2", "runs
// nothing (chaos-web-v2 created, chaos-web-v1 exited)".
func (v View) Describe(s Slot) string {
	var running, others []string
	for _, c := range v {
		if c.Host != s.Host || c.Role != s.Role {
			continue
		}
		if c.State == "running" {
			running = append(running, c.Version+" ("+c.Name+")")
		} else {
			others = append(others, c.Name+" "+c.State)
		}
	}
	sort.Strings(running)
	sort.Strings(others)
	var b strings.Builder
	b.WriteString(s.String() + " runs ")
	switch len(running) {
	case 0:
		b.WriteString("nothing")
	case 1:
		version, _, _ := strings.Cut(running[0], " (")
		b.WriteString(version)
	default:
		b.WriteString(strings.Join(running, " and "))
	}
	if len(others) > 0 && len(running) != 1 {
		fmt.Fprintf(&b, " (%s)", strings.Join(others, ", "))
	}
	return b.String()
}

// Equal reports whether two views show the same containers in the same states.
func (v View) Equal(o View) bool {
	key := func(x View) []string {
		out := make([]string, len(x))
		for i, c := range x {
			out[i] = c.Host + "\x00" + c.Name + "\x00" + c.State + "\x00" + c.Version
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(key(v), key(o))
}

// ParseView reads `docker ps -a --format` lines of host, each NAME, STATE,
// the berth.role and the berth.version label, separated by tabs.
func ParseView(host, out string) (View, error) {
	var v View
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("docker ps on %s: unexpected line %q", host, line)
		}
		v = append(v, Container{Host: host, Name: f[0], State: f[1], Role: f[2], Version: f[3]})
	}
	return v, nil
}

// CheckOneRunning finds every slot that does not run exactly one
// container of a version in allowed: what must hold after any round in
// which berth could clean up.
func CheckOneRunning(v View, allowed ...string) []string {
	var out []string
	for _, s := range Slots() {
		r := v.Running(s)
		if len(r) != 1 || !slices.Contains(allowed, r[0].Version) {
			out = append(out, fmt.Sprintf("%s, want one of %s", v.Describe(s), strings.Join(allowed, " or ")))
		}
	}
	return out
}

// CheckExact finds every slot that does not run exactly one container of
// version: what must hold after an apply of version that exited 0.
func CheckExact(v View, version string) []string {
	var out []string
	for _, s := range Slots() {
		if !v.Exact(s, version) {
			out = append(out, fmt.Sprintf("%s, want exactly %s", v.Describe(s), version))
		}
	}
	return out
}

// PlanResult is what `berth plan --json --detailed-exitcode` said.
type PlanResult struct {
	Exit    int
	Changed map[string]string // action by slot ("h2/web": "replace") for every change that is not "unchanged"
}

// ParsePlan reads the JSON plan printed with exit code exit (0 no
// changes, 2 changes; anything else is an error).
func ParsePlan(exit int, stdout string) (PlanResult, error) {
	p := PlanResult{Exit: exit, Changed: map[string]string{}}
	if exit != 0 && exit != 2 {
		return p, fmt.Errorf("plan exited %d", exit)
	}
	var doc struct {
		Changes []struct {
			Address struct{ Host, Role string }
			Action  string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		return p, fmt.Errorf("plan --json: %w", err)
	}
	for _, c := range doc.Changes {
		if c.Action == "" || c.Action == "unchanged" {
			continue
		}
		slot := Slot{Host: c.Address.Host, Role: c.Address.Role}.String()
		if prev, ok := p.Changed[slot]; ok && prev != c.Action {
			p.Changed[slot] = prev + "+" + c.Action
		} else {
			p.Changed[slot] = c.Action
		}
	}
	return p, nil
}

// CheckPlanHonest finds every slot that does not run exactly one container
// of desired while the plan shows no change for it, and a plan whose exit
// code disagrees with its changes.
func CheckPlanHonest(v View, desired string, p PlanResult) []string {
	var out []string
	for _, s := range Slots() {
		if v.Exact(s, desired) {
			continue
		}
		if _, ok := p.Changed[s.String()]; !ok || p.Exit == 0 {
			out = append(out, fmt.Sprintf("%s but the plan for %s shows no change for it (plan exit %d)", v.Describe(s), desired, p.Exit))
		}
	}
	if p.Exit == 0 && len(p.Changed) > 0 {
		out = append(out, fmt.Sprintf("plan --detailed-exitcode exited 0 with changes for %s", strings.Join(sortedKeys(p.Changed), ", ")))
	}
	if p.Exit == 2 && len(p.Changed) == 0 {
		out = append(out, "plan --detailed-exitcode exited 2 but lists no change")
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Output is what one run of berth printed.
type Output struct {
	What           string // "apply", "plan", "lock status", ...
	Stdout, Stderr string
}

// Secret is a value that must never be printed, with a name for the report.
type Secret struct{ Name, Value string }

// CheckSecrets finds every output that shows a secret's value.
func CheckSecrets(outs []Output, secrets []Secret) []string {
	var found []string
	for _, o := range outs {
		for _, s := range secrets {
			if s.Value == "" {
				continue
			}
			for stream, text := range map[string]string{"stdout": o.Stdout, "stderr": o.Stderr} {
				if strings.Contains(text, s.Value) {
					found = append(found, fmt.Sprintf("the %s appears in the %s of %s", s.Name, stream, o.What))
				}
			}
		}
	}
	sort.Strings(found)
	return found
}

// Redact replaces every secret's value in s.
func Redact(s string, secrets []Secret) string {
	for _, x := range secrets {
		if x.Value != "" {
			s = strings.ReplaceAll(s, x.Value, "<"+x.Name+">")
		}
	}
	return s
}

// LockState is what `berth lock status` said.
type LockState int

const (
	LockUnknown LockState = iota // neither: an error, or output berth never gave before
	Unlocked
	Locked
)

// ParseLockStatus reads `berth lock status` output.
func ParseLockStatus(stdout string) LockState {
	s := strings.TrimSpace(stdout)
	switch {
	case strings.HasPrefix(s, "Unlocked"):
		return Unlocked
	case strings.HasPrefix(s, "Locked"):
		return Locked
	}
	return LockUnknown
}

// CheckLock judges the lock after a round's apply ended: it must be free,
// unless berth was killed with SIGKILL (it cannot release anything) or it
// said the release failed and how to release it by hand.
func CheckLock(st LockState, killed bool, applyStderr string) []string {
	switch {
	case st == Unlocked:
		return nil
	case st == LockUnknown:
		return []string{"berth lock status says neither Unlocked nor Locked"}
	case killed:
		return nil
	case strings.Contains(applyStderr, "berth lock release"):
		return nil
	}
	return []string{"the lock is still held after the apply ended, and the apply did not say so"}
}

// ShortOutage is the longest hold of a cut link or a dead sshd after
// which berth is still held to one running container per (host, role):
// below the configuration's connect_timeout (5s), its health deadline (8s)
// and its command_timeout (30s), so every step can redial and find out what
// really runs before it cleans up. The scheduled hold counts, not how long
// the fault lasted: the harness restores a fault early when the apply ends,
// and an apply that gave up at once must not make its fault look short.
const ShortOutage = 4 * time.Second

// Strict reports whether the state after the round must be one running
// container per (host, role) of the old or the new version, and the web
// answering; when not, why: the fault itself can leave a host on nothing,
// whatever berth does. The plan must be honest and one apply must converge
// after every round.
func Strict(r Round, fired bool) (bool, string) {
	if !fired {
		return true, ""
	}
	switch r.Fault {
	case KillBerth:
		return false, "berth was killed with SIGKILL: it could not clean up"
	case KillDockerd:
		return false, "dockerd was killed: Docker stops its containers when it starts again, and does not restart them"
	case LinkCut, KillSSHD:
		if r.Hold == UntilExit || r.Hold > ShortOutage {
			return false, fmt.Sprintf("%s was out of reach until %s", r.Host, strings.TrimPrefix(HoldString(r.Hold), "after "))
		}
	}
	return true, ""
}
