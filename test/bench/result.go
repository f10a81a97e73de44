package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Row is one measured figure: berth's runs and, where there is one, the
// reference it is compared with, run in the same session.
type Row struct {
	Order    int       `json:"order"` // position in the table
	Scenario string    `json:"scenario"`
	What     string    `json:"what"`
	Berth    []float64 `json:"berth"` // seconds, or the benchmark's unit
	Unit     string    `json:"unit"`  // "s" by default
	RefName  string    `json:"ref_name,omitempty"`
	Ref      []float64 `json:"ref,omitempty"`
	// ConnsPerHost is SSH connections opened per host and run (median).
	ConnsPerHost float64 `json:"conns_per_host,omitempty"`
	RSSMB        float64 `json:"rss_mb,omitempty"` // peak RSS of the berth process (median)
	Target       string  `json:"target,omitempty"`
	Met          *bool   `json:"met,omitempty"`
	Note         string  `json:"note,omitempty"`
}

// Results is what one subcommand measured.
type Results struct {
	Command string    `json:"command"`
	When    time.Time `json:"when"`
	Rows    []Row     `json:"rows"`
	Notes   []string  `json:"notes,omitempty"` // paragraphs under the table
}

func (r *Results) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func boolp(b bool) *bool { return &b }

// shownArgs are a subcommand's arguments as the report shows them: without
// where the results went and their place in the table.
func shownArgs(args []string) string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-out" || a == "-order":
			i++
		case strings.HasPrefix(a, "-out=") || strings.HasPrefix(a, "-order="):
		default:
			out = append(out, a)
		}
	}
	return strings.Join(out, " ")
}

// runReport renders result files as one Markdown document on stdout.
func runReport(files []string) error {
	var all []Results
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return err
		}
		var r Results
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		all = append(all, r)
	}
	render(os.Stdout, all)
	return nil
}

func render(w io.Writer, all []Results) {
	var rows []Row
	for _, r := range all {
		rows = append(rows, r.Rows...)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Order < rows[j].Order })
	fmt.Fprintln(w, "| scenario | measured | berth (median) | reference (median) | ratio | SSH conns / host | peak RSS | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Scenario, r.What, figure(median(r.Berth), r.Unit, len(r.Berth)), refCell(r), ratioCell(r), connCell(r), rssCell(r), targetCell(r))
	}
	for _, r := range all {
		for _, n := range r.Notes {
			fmt.Fprintln(w)
			fmt.Fprintln(w, n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Measured with:")
	for _, r := range all {
		fmt.Fprintf(w, "- `%s` (%s)\n", r.Command, r.When.UTC().Format("2006-01-02 15:04 UTC"))
	}
}

func figure(v float64, unit string, n int) string {
	runs := ""
	if n > 1 {
		runs = fmt.Sprintf(" (n=%d)", n)
	}
	switch unit {
	case "", "s":
		return fmt.Sprintf("%.2f s%s", v, runs)
	case "ns/op":
		return humanNs(v) + "/op" + runs
	}
	return fmt.Sprintf("%.3g %s%s", v, unit, runs)
}

func humanNs(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func refCell(r Row) string {
	if len(r.Ref) == 0 {
		return "–"
	}
	return r.RefName + ": " + figure(median(r.Ref), r.Unit, len(r.Ref))
}

func ratioCell(r Row) string {
	if len(r.Ref) == 0 || median(r.Ref) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", median(r.Berth)/median(r.Ref))
}

func connCell(r Row) string {
	if r.ConnsPerHost == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", r.ConnsPerHost)
}

func rssCell(r Row) string {
	if r.RSSMB == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f MB", r.RSSMB)
}

func targetCell(r Row) string {
	if r.Target == "" {
		return strings.TrimSpace(r.Note)
	}
	s := r.Target
	if r.Met != nil {
		if *r.Met {
			s += ": met"
		} else {
			s += ": **missed**"
		}
	}
	if r.Note != "" {
		s += "; " + r.Note
	}
	return s
}
