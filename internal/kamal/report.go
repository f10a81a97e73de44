package kamal

import (
	"fmt"
	"io"
	"sort"
)

// Note is one line of the import's report: a key of the Kamal
// configuration that berth's import did not map (Unmapped) or mapped with
// a caveat (Warnings).
type Note struct {
	At      string `json:"at"`  // "config/deploy.yml:12"
	Key     string `json:"key"` // "proxy.ssl", "accessories.db.files"
	Message string `json:"message"`
}

// Result is what an import gives: the HCL and its report.
type Result struct {
	HCL []byte `json:"-"`
	// Files are the Kamal files read: deploy.yml, then the destination's.
	Files    []string `json:"files"`
	Service  string   `json:"service"`
	Unmapped []Note   `json:"unmapped"`
	Warnings []Note   `json:"warnings"`
	// RequireDestination: the HCL says require_destination = true, so
	// berth runs it only with --destination NAME.
	RequireDestination bool `json:"require_destination"`
}

// WriteReport renders the report for a person.
func (r *Result) WriteReport(w io.Writer) {
	section := func(title string, notes []Note) {
		if len(notes) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		for _, n := range notes {
			fmt.Fprintf(w, "  - %s (%s): %s\n", n.Key, n.At, n.Message)
		}
	}
	section("Not imported (each is a comment at its place in the HCL)", r.Unmapped)
	section("Warnings", r.Warnings)
	fmt.Fprintf(w, "\n%d not imported, %d warnings.\n", len(r.Unmapped), len(r.Warnings))
}

// notes collects a report's notes, once per key and place.
type notes struct {
	seen     map[string]bool
	unmapped []Note
	warnings []Note
}

func (n *notes) add(list *[]Note, note Note) {
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	k := note.At + "\x00" + note.Key + "\x00" + note.Message
	if n.seen[k] {
		return
	}
	n.seen[k] = true
	*list = append(*list, note)
}

func sortNotes(ns []Note) []Note {
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].Key < ns[j].Key })
	if ns == nil {
		return []Note{}
	}
	return ns
}
