package view

import (
	"fmt"
	"io"
	"strconv"

	"github.com/berth-sh/berth/planner"
)

// GraphDOT writes the step graph in Graphviz DOT: one cluster per address
// (labelled with its batch), the barrier as a diamond, an edge from every
// dependency to its dependent.
func GraphDOT(w io.Writer, g planner.Graph) error {
	pw := &errWriter{w: w}
	pw.printf("digraph berth {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n")
	for _, grp := range groups(g) {
		if grp.addr == "" {
			pw.printf("  %s [shape=diamond, label=\"barrier\"];\n", strconv.Quote(planner.BarrierID))
			continue
		}
		pw.printf("  subgraph %s {\n    label=%s;\n", strconv.Quote("cluster_"+grp.addr), strconv.Quote(fmt.Sprintf("%s (batch %d)", grp.addr, grp.batch)))
		for _, s := range grp.steps {
			pw.printf("    %s [label=%s];\n", strconv.Quote(s.ID), strconv.Quote(string(s.Kind)))
		}
		pw.printf("  }\n")
	}
	for _, s := range g.Steps {
		for _, d := range s.DependsOn {
			pw.printf("  %s -> %s;\n", strconv.Quote(d), strconv.Quote(s.ID))
		}
	}
	pw.printf("}\n")
	return pw.err
}

// GraphMermaid writes the step graph as a Mermaid flowchart, which GitHub
// renders in a pull request (```mermaid block).
func GraphMermaid(w io.Writer, g planner.Graph) error {
	pw := &errWriter{w: w}
	ids := make(map[string]string, len(g.Steps))
	for i, s := range g.Steps {
		ids[s.ID] = "s" + strconv.Itoa(i)
	}
	pw.printf("flowchart LR\n")
	for i, grp := range groups(g) {
		if grp.addr == "" {
			pw.printf("  %s{{\"barrier\"}}\n", ids[planner.BarrierID])
			continue
		}
		pw.printf("  subgraph g%d[\"%s (batch %d)\"]\n", i, mermaidText(grp.addr), grp.batch)
		for _, s := range grp.steps {
			pw.printf("    %s[\"%s\"]\n", ids[s.ID], mermaidText(string(s.Kind)))
		}
		pw.printf("  end\n")
	}
	for _, s := range g.Steps {
		for _, d := range s.DependsOn {
			if from, ok := ids[d]; ok {
				pw.printf("  %s --> %s\n", from, ids[s.ID])
			}
		}
	}
	return pw.err
}

type stepGroup struct {
	addr  string // "" for the barrier
	batch int
	steps []planner.Step
}

// groups gathers the steps by address in graph order; the barrier is a group of its own.
func groups(g planner.Graph) []*stepGroup {
	var out []*stepGroup
	by := map[string]*stepGroup{}
	for _, s := range g.Steps {
		if s.Kind == planner.StepBarrier {
			out = append(out, &stepGroup{steps: []planner.Step{s}})
			continue
		}
		key := s.Address.String()
		grp, ok := by[key]
		if !ok {
			grp = &stepGroup{addr: key, batch: s.Batch}
			by[key] = grp
			out = append(out, grp)
		}
		grp.steps = append(grp.steps, s)
	}
	return out
}

// mermaidText escapes a label for a quoted Mermaid node text.
func mermaidText(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '"' {
			out = append(out, []rune("#quot;")...)
			continue
		}
		out = append(out, r)
	}
	return string(out)
}
