package view

import (
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/berth-sh/berth/planner"
)

// PlanMarkdown writes what a reviewer wants in a pull request: the summary
// line and a table of what changes on which host first, then the reasons,
// images, hosts read and steps in a collapsible section.
func PlanMarkdown(w io.Writer, p *planner.Plan) error { return PlanFileMarkdown(w, p, nil) }

// PlanFileMarkdown is PlanMarkdown for a saved plan file: the file's path
// and digest come right under the heading.
func PlanFileMarkdown(w io.Writer, p *planner.Plan, f *FileInfo) error {
	pw := &errWriter{w: w}
	what := "deploy"
	if p.Destroy {
		what = "destroy"
	}
	pw.printf("### berth plan: %s %s%s `%s`\n\n", what, cell(p.Service), cell(destinationNote(p)), cell(p.Version))
	if f != nil {
		pw.printf("Plan file %s, %s\n\n", code(f.Path), code(f.Digest))
	}
	if cl := madeWith(p); cl != "" {
		pw.printf("Made with %s\n\n", code(cl))
	}
	for _, warn := range p.Warnings() {
		pw.printf("> **Warning:** %s\n\n", warn)
	}
	if !p.HasChanges() {
		pw.printf("**%s**\n\n", NoChanges)
	} else {
		pw.printf("**%s**\n\n", Summary(p))
		markdownTable(pw, p)
	}
	pw.printf("<details><summary>Details</summary>\n\n")
	markdownDetails(pw, p)
	pw.printf("\nConfig hash %s, berth %s, made %s.\n\n</details>\n", code(p.ConfigHash), cell(p.BerthVersion), p.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	return pw.err
}

// markdownTable is the table of what changes on which host.
func markdownTable(pw *errWriter, p *planner.Plan) {
	pw.printf("| Host | Role | Action | Version |\n|---|---|---|---|\n")
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged {
			continue
		}
		name := c.Address.Role
		if c.Address.Accessory != "" {
			name = "accessory." + c.Address.Accessory
		}
		if c.Address.Proxy {
			name = planner.ProxyContainer
		}
		if c.Primary {
			name += " (primary)"
		}
		pw.printf("| %s | %s | `%s` %s | %s |\n", cell(c.Address.Host), cell(name), c.Action.Symbol(), c.Action, cell(versionChange(c)))
	}
	pw.printf("\n")
}

// markdownDetails is the collapsible section: every change with its
// reasons, the images, the hosts read and the steps.
func markdownDetails(pw *errWriter, p *planner.Plan) {
	var unchanged []string
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged {
			unchanged = append(unchanged, code(c.Address.String()))
			continue
		}
		pw.printf("#### `%s %s` %s\n\n", c.Action.Symbol(), c.Address, c.Action)
		if s := containers(c); s != "" {
			pw.printf("Containers: %s\n\n", code(s))
		}
		for _, r := range c.Reasons {
			pw.printf("- %s\n", code(ReasonText(r)))
		}
		if len(c.Reasons) > 0 {
			pw.printf("\n")
		}
	}
	if len(unchanged) > 0 {
		pw.printf("Unchanged: %s\n\n", strings.Join(unchanged, ", "))
	}
	if len(p.Images) > 0 {
		pw.printf("**Images** (resolved at plan time; apply runs exactly these)\n\n")
		for _, ref := range slices.Sorted(maps.Keys(p.Images)) {
			pw.printf("- %s = %s\n", code(ref), code(p.Images[ref]))
		}
		pw.printf("\n")
	}
	pw.printf("**Hosts read**\n\n| Host | Address | Containers | Fingerprint |\n|---|---|---|---|\n")
	for _, h := range p.Hosts {
		pw.printf("| %s | %s | %d | %s |\n", cell(h.Name), cell(h.Address), len(h.Containers), code(h.Fingerprint))
	}
	if p.HasChanges() {
		pw.printf("\n**Steps**\n\n```text\n")
		for _, line := range PlanSteps(p) {
			pw.printf("%s\n", line)
		}
		pw.printf("```\n")
	}
}

// versionChange is the table's version column: "v1 → v2", "v2", "v1 → (removed)".
func versionChange(c planner.Change) string {
	var old, cur string
	if c.Running != nil {
		old = c.Running.Version
	} else if len(c.Others) > 0 {
		old = c.Others[0].Version
	}
	if c.Desired != nil {
		cur = c.Desired.Labels[planner.LabelVersion]
	}
	switch {
	case c.Action == planner.ActionRemove:
		return old + " → (removed)"
	case old == "" || old == cur:
		return cur
	}
	return old + " → " + cur
}

// code renders s as an inline code span, whatever backticks it holds, with
// table pipes escaped.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "|", `\|`) + pad + fence
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}
