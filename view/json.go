package view

import (
	"encoding/json"
	"io"

	"github.com/berth-sh/berth/planner"
)

// JSONFormatVersion is the version of the JSON document PlanJSON writes.
// Its major changes only when a field is removed or changes meaning.
const JSONFormatVersion = "1.0"

// PlanDocument is the JSON shape of `berth plan --json` and `berth show
// --json`: every field of the plan file (see planner.Plan) plus a summary
// and the warnings. format_version is the version of this document.
type PlanDocument struct {
	FormatVersion string `json:"format_version"`
	// File is the saved plan file rendered (berth show FILE), with the
	// digest of its bytes.
	File *FileInfo `json:"file,omitempty"`
	*planner.Plan
	Summary  PlanSummary `json:"summary"`
	Warnings []string    `json:"warnings,omitempty"`
}

// PlanSummary counts the changes by action.
type PlanSummary struct {
	Create    int    `json:"create"`
	Replace   int    `json:"replace"`
	Remove    int    `json:"remove"`
	Unchanged int    `json:"unchanged"`
	Changes   bool   `json:"changes"` // anything to do at all
	Text      string `json:"text"`    // the human summary line
}

// Document builds the JSON document of a plan.
func Document(p *planner.Plan) PlanDocument {
	c, r, d, u := p.Counts()
	return PlanDocument{
		FormatVersion: JSONFormatVersion,
		Plan:          p,
		Summary:       PlanSummary{Create: c, Replace: r, Remove: d, Unchanged: u, Changes: p.HasChanges(), Text: Summary(p)},
		Warnings:      warningTexts(p.Warnings()),
	}
}

// warningTexts are the warnings as the JSON document has them: their text.
func warningTexts(ws []planner.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Message)
	}
	return out
}

// PlanJSON writes the plan as an indented JSON document (PlanDocument).
func PlanJSON(w io.Writer, p *planner.Plan) error { return PlanFileJSON(w, p, nil) }

// PlanFileJSON is PlanJSON for a saved plan file: the document's "file"
// gives its path and digest.
func PlanFileJSON(w io.Writer, p *planner.Plan, f *FileInfo) error {
	doc := Document(p)
	doc.File = f
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
