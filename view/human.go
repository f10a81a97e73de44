package view

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/berth-sh/berth/planner"
)

// HumanOptions tune the human rendering.
type HumanOptions struct {
	Color bool      // ANSI colours for the markers and the summary
	File  *FileInfo // the saved plan file rendered, if any: its line comes first
}

// FileInfo names a saved plan file and the digest of its bytes, so that a
// reviewer can tell that the file applied is the file reviewed.
type FileInfo struct {
	Path   string `json:"path"`
	Digest string `json:"digest"` // "sha256:..." of the file's bytes, as sha256sum prints it
}

// Line is "Plan file: plan.json (sha256:...)".
func (f FileInfo) Line() string { return "Plan file: " + f.Path + " (" + f.Digest + ")" }

// madeWith is the command that made a plan, when it took options that
// change what apply does ("" for a plain `berth plan`).
// destinationNote is " (destination NAME)", or "" without a destination.
func destinationNote(p *planner.Plan) string {
	if p.Destination == "" {
		return ""
	}
	return " (destination " + p.Destination + ")"
}

func madeWith(p *planner.Plan) string {
	if cl := p.CommandLine(); cl != "berth plan" && cl != "berth --destination "+p.Destination+" plan" {
		return cl
	}
	return ""
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
)

// NoChanges is printed when a plan changes nothing.
const NoChanges = "No changes. The hosts match the configuration."

// Plan writes the plan for a person at a terminal: the changes with their
// reasons, the steps in order, the warnings, and the summary line.
func Plan(w io.Writer, p *planner.Plan, opts HumanOptions) error {
	pw := bufio.NewWriter(w) // keeps the first write error for Flush
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	what := "deploys"
	switch {
	case p.Destroy:
		what = "destroys"
	case p.Stop:
		what = "stops"
	}
	if opts.File != nil {
		fmt.Fprintf(pw, "%s\n\n", opts.File.Line())
	}
	fmt.Fprintf(pw, "Plan for service %s%s: %s version %s.\n", p.Service, destinationNote(p), what, p.Version)
	if cl := madeWith(p); cl != "" {
		fmt.Fprintf(pw, "  made with: %s\n", cl)
	}
	for _, ref := range slices.Sorted(maps.Keys(p.Images)) {
		fmt.Fprintf(pw, "  image %s = %s\n", ref, p.Images[ref])
	}
	for _, warn := range p.Warnings() {
		fmt.Fprintf(pw, "\n%s %s\n", paint(ansiYellow+ansiBold, "Warning:"), warn)
	}
	fmt.Fprintf(pw, "\n")

	humanChanges(pw, p, paint)
	if !p.HasChanges() {
		fmt.Fprintf(pw, "\n%s\n", NoChanges)
		return pw.Flush()
	}
	if lines := NetworkLines(p); len(lines) > 0 {
		fmt.Fprintf(pw, "\nNetworks (created where missing):\n")
		for _, line := range lines {
			fmt.Fprintf(pw, "  %s\n", line)
		}
	}
	fmt.Fprintf(pw, "\nSteps, in order:\n")
	for _, line := range PlanSteps(p) {
		fmt.Fprintf(pw, "  %s\n", line)
	}
	fmt.Fprintf(pw, "\n%s\n", paint(ansiBold, Summary(p)))
	return pw.Flush()
}

// humanChanges lists every change with its reasons, in aligned columns,
// then the unchanged addresses on one line.
func humanChanges(pw *bufio.Writer, p *planner.Plan, paint func(code, s string) string) {
	width, lwidth := 0, 0
	var unchanged []string
	for _, c := range p.Changes {
		if c.Action != planner.ActionUnchanged {
			width = max(width, len(c.Address.String()))
			lwidth = max(lwidth, len(actionLabel(c)))
		}
	}
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged {
			unchanged = append(unchanged, c.Address.String())
			continue
		}
		fmt.Fprintf(pw, "  %s %-*s  %-*s  %s\n", paint(actionColor(c.Action), c.Action.Symbol()), width, c.Address.String(), lwidth, actionLabel(c), containers(c))
		for _, r := range c.Reasons {
			fmt.Fprintf(pw, "      %s\n", ReasonText(r))
		}
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(pw, "  Unchanged: %s\n", strings.Join(unchanged, ", "))
	}
}

// Summary is the line `Plan: N to create, N to replace, N to remove, N unchanged.`
func Summary(p *planner.Plan) string {
	c, r, d, u := p.Counts()
	more := ""
	if s, rs := p.Stops(); s+rs > 0 {
		more = fmt.Sprintf(", %d to stop, %d to restart", s, rs)
	}
	return fmt.Sprintf("Plan: %d to create, %d to replace, %d to remove%s, %d unchanged.", c, r, d, more, u)
}

// ReasonText renders one reason, e.g. "version: v1 → v2",
// "env.NEW: added = 1", "secret_env.DB_PASSWORD: (sensitive) changed".
func ReasonText(r planner.Reason) string {
	sensitive := strings.HasPrefix(r.Field, "secret_env.")
	switch {
	case r.Field == planner.ReasonReplace:
		return r.New
	case r.Op == planner.OpStop:
		return "stop " + r.Old + ": " + r.New
	case sensitive && r.Op != "":
		return r.Field + ": (sensitive) " + r.Op
	case sensitive:
		return r.Field + ": (sensitive) changed"
	case r.Op == planner.OpAdded:
		return r.Field + ": added = " + r.New
	case r.Op == planner.OpRemoved:
		return r.Field + ": removed (was " + r.Old + ")"
	case r.Old == "":
		return r.Field + ": " + r.New
	}
	return r.Field + ": " + r.Old + " → " + r.New
}

func actionColor(a planner.Action) string {
	switch a {
	case planner.ActionCreate:
		return ansiGreen
	case planner.ActionReplace, planner.ActionStop, planner.ActionRestart:
		return ansiYellow
	case planner.ActionRemove:
		return ansiRed
	}
	return ""
}

func actionLabel(c planner.Change) string {
	action := string(c.Action)
	if c.StartsStopped() {
		action = "start" // a replace that only starts the stopped container again
	}
	if c.Primary {
		return "(" + action + ", primary)"
	}
	return "(" + action + ")"
}

// containers names what a change acts on: "shop-web-v1 → shop-web-v2".
func containers(c planner.Change) string {
	var old string
	switch {
	case c.Running != nil:
		old = c.Running.Name
	case len(c.Others) > 0:
		old = c.Others[0].Name + " (" + c.Others[0].State + ")"
	}
	if n := len(c.Others); c.Action == planner.ActionRemove && n > 0 && c.Running != nil {
		old += fmt.Sprintf(" (+%d stopped)", n)
	}
	switch {
	case c.Desired == nil:
		return old
	case old == "":
		return c.Desired.Name
	}
	return old + " → " + c.Desired.Name
}

// StepLines renders the graph compactly, one line per address in graph
// order, with the waits where they happen:
// "h2/web  pull, create, (wait: barrier), stop_old, start, health, prune".
func StepLines(g planner.Graph) []string {
	type row struct {
		addr      string
		batch     int
		accessory bool // accessories take no part in the rolling batches
		parts     []string
	}
	var rows []*row
	byAddr := map[string]*row{}
	batched := false
	for _, s := range g.Steps {
		batched = batched || s.Batch > 0
	}
	for _, s := range g.Steps {
		if s.Kind == planner.StepBatch {
			continue // shown as "(wait: batch N)" where a step waits for it
		}
		if s.Kind == planner.StepBarrier {
			r := &row{addr: "barrier"}
			if len(s.DependsOn) == 0 {
				r.parts = []string{"opens at once (no primary change to wait for)"}
			} else {
				r.parts = []string{"opens when " + strings.Join(s.DependsOn, ", ") + " passes"}
			}
			rows = append(rows, r)
			continue
		}
		key := s.Address.String()
		r, ok := byAddr[key]
		if !ok {
			r = &row{addr: key, batch: s.Batch, accessory: s.Address.Accessory != "" || s.Address.Proxy}
			byAddr[key] = r
			rows = append(rows, r)
		}
		if w := waits(s, key); w != "" {
			r.parts = append(r.parts, "(wait: "+w+")")
		}
		r.parts = append(r.parts, string(s.Kind))
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r.addr))
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		prefix := ""
		if batched {
			prefix = "         "
			if r.addr != "barrier" && !r.accessory {
				prefix = fmt.Sprintf("batch %-2d ", r.batch)
			}
		}
		out = append(out, fmt.Sprintf("%s%-*s  %s", prefix, width, r.addr, strings.Join(r.parts, ", ")))
	}
	return out
}

// waits names what a step waits for outside its own address.
func waits(s planner.Step, addr string) string {
	var w []string
	batch := false
	for _, d := range s.DependsOn {
		switch {
		case d == planner.BarrierID:
			w = append(w, "barrier")
		case d == planner.BatchID(s.Batch):
			batch = true
		case strings.HasPrefix(d, addr+"/"):
		case strings.HasPrefix(d, s.Address.Host+"/"):
			w = append(w, d) // another step on the same host, e.g. its proxy
		case strings.Contains(d, "/accessory."):
			w = append(w, d) // an accessory the role depends on
		case s.Address.Proxy && strings.HasSuffix(d, "/"+planner.ProxyContainer+"/"+string(planner.StepHealth)):
			w = append(w, d) // the proxy replaced before this one, host by host
		default:
			batch = true
		}
	}
	if batch {
		w = append(w, fmt.Sprintf("batch %d", s.Batch-1))
	}
	return strings.Join(w, ", ")
}
