package view

import (
	"fmt"
	"io"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/planner"
)

// GraphDOT writes the step graph in Graphviz DOT: one cluster per address
// (labelled with its batch), the barrier as a diamond, the join before
// each rolling batch as a circle, an edge from every dependency to its
// dependent.
func GraphDOT(w io.Writer, g planner.Graph) error {
	return graph.DOT(w, "berth", g.Vertices(), stepStyle(g))
}

// GraphMermaid writes the step graph as a Mermaid flowchart, which GitHub
// renders in a pull request (```mermaid block).
func GraphMermaid(w io.Writer, g planner.Graph) error {
	return graph.Mermaid(w, g.Vertices(), stepStyle(g))
}

// stepStyle draws a step as its kind, in a cluster per address; the
// barrier and the joins between rolling batches stand alone.
func stepStyle(g planner.Graph) func(int) graph.Style {
	return func(i int) graph.Style {
		s := g.Steps[i]
		switch s.Kind {
		case planner.StepBarrier:
			return graph.Style{Label: "barrier", Shape: graph.Gate}
		case planner.StepBatch:
			return graph.Style{Label: fmt.Sprintf("batch %d", s.Batch), Shape: graph.Join}
		}
		addr := s.Address.String()
		return graph.Style{Label: string(s.Kind), Cluster: addr, ClusterLabel: fmt.Sprintf("%s (batch %d)", addr, s.Batch)}
	}
}
