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

// PlanMarkdown writes what a reviewer wants in a pull request: the summary
// line and a table of what changes on which host first, then the reasons,
// images, hosts read and steps in a collapsible section.
func PlanMarkdown(w io.Writer, p *planner.Plan) error { return PlanFileMarkdown(w, p, nil) }

// PlanFileMarkdown is PlanMarkdown for a saved plan file: the file's path
// and digest come right under the heading.
func PlanFileMarkdown(w io.Writer, p *planner.Plan, f *FileInfo) error {
	pw := bufio.NewWriter(w) // keeps the first write error for Flush
	what := "deploy"
	if p.Destroy {
		what = "destroy"
	}
	fmt.Fprintf(pw, "### berth plan: %s %s%s `%s`\n\n", what, cell(p.Service), cell(destinationNote(p)), cell(p.Version))
	if f != nil {
		fmt.Fprintf(pw, "Plan file %s, %s\n\n", code(f.Path), code(f.Digest))
	}
	if cl := madeWith(p); cl != "" {
		fmt.Fprintf(pw, "Made with %s\n\n", code(cl))
	}
	for _, warn := range p.Warnings() {
		fmt.Fprintf(pw, "> **Warning:** %s\n\n", warn)
	}
	if !p.HasChanges() {
		fmt.Fprintf(pw, "**%s**\n\n", NoChanges)
	} else {
		fmt.Fprintf(pw, "**%s**\n\n", Summary(p))
		markdownTable(pw, p)
	}
	fmt.Fprintf(pw, "<details><summary>Details</summary>\n\n")
	markdownDetails(pw, p)
	fmt.Fprintf(pw, "\nConfig hash %s, berth %s, made %s.\n\n</details>\n", code(p.ConfigHash), cell(p.BerthVersion), p.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	return pw.Flush()
}

// markdownTable is the table of what changes on which host.
func markdownTable(pw *bufio.Writer, p *planner.Plan) {
	fmt.Fprintf(pw, "| Host | Role | Action | Version |\n|---|---|---|---|\n")
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
		fmt.Fprintf(pw, "| %s | %s | `%s` %s | %s |\n", cell(c.Address.Host), cell(name), c.Action.Symbol(), c.Action, cell(versionChange(c)))
	}
	fmt.Fprintf(pw, "\n")
}

// markdownDetails is the collapsible section: every change with its
// reasons, the images, the hosts read and the steps.
func markdownDetails(pw *bufio.Writer, p *planner.Plan) {
	var unchanged []string
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged {
			unchanged = append(unchanged, code(c.Address.String()))
			continue
		}
		fmt.Fprintf(pw, "#### `%s %s` %s\n\n", c.Action.Symbol(), c.Address, c.Action)
		if s := containers(c); s != "" {
			fmt.Fprintf(pw, "Containers: %s\n\n", code(s))
		}
		for _, r := range c.Reasons {
			fmt.Fprintf(pw, "- %s\n", code(ReasonText(r)))
		}
		if len(c.Reasons) > 0 {
			fmt.Fprintf(pw, "\n")
		}
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(pw, "Unchanged: %s\n\n", strings.Join(unchanged, ", "))
	}
	if len(p.Images) > 0 {
		fmt.Fprintf(pw, "**Images** (resolved at plan time; apply runs exactly these)\n\n")
		for _, ref := range slices.Sorted(maps.Keys(p.Images)) {
			fmt.Fprintf(pw, "- %s = %s\n", code(ref), code(p.Images[ref]))
		}
		fmt.Fprintf(pw, "\n")
	}
	fmt.Fprintf(pw, "**Hosts read**\n\n| Host | Address | Containers | Fingerprint |\n|---|---|---|---|\n")
	for _, h := range p.Hosts {
		fmt.Fprintf(pw, "| %s | %s | %d | %s |\n", cell(h.Name), cell(h.Address), len(h.Containers), code(h.Fingerprint))
	}
	if p.HasChanges() {
		fmt.Fprintf(pw, "\n**Steps**\n\n```text\n")
		for _, line := range PlanSteps(p) {
			fmt.Fprintf(pw, "%s\n", line)
		}
		fmt.Fprintf(pw, "```\n")
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
