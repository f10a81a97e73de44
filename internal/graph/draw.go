package graph

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Shape is how a vertex is drawn.
type Shape int

const (
	Box  Shape = iota // an ordinary vertex
	Gate              // a vertex that holds others back: a diamond in DOT, a hexagon in Mermaid
	Join              // a vertex that gathers many into one: a circle
)

// Style is how one vertex is drawn.
type Style struct {
	Label string // the vertex's text; "" shows its ID
	Shape Shape
	// Cluster groups vertices in one labelled box: every vertex with the
	// same Cluster, at the place of its first vertex. The box is labelled
	// with that first vertex's ClusterLabel (default: Cluster). A vertex
	// with no Cluster is drawn on its own.
	Cluster, ClusterLabel string
}

// cluster is a run of vertices drawn together; a lone vertex is a cluster
// without a key.
type cluster struct {
	key, label string
	members    []int
}

// clusters groups the vertices as Style says, in the order of their first
// vertex.
func clusters(vs []Vertex, styles []Style) []*cluster {
	var out []*cluster
	by := map[string]*cluster{}
	for i := range vs {
		st := styles[i]
		if st.Cluster == "" {
			out = append(out, &cluster{members: []int{i}})
			continue
		}
		c, ok := by[st.Cluster]
		if !ok {
			c = &cluster{key: st.Cluster, label: st.ClusterLabel}
			if c.label == "" {
				c.label = st.Cluster
			}
			by[st.Cluster] = c
			out = append(out, c)
		}
		c.members = append(c.members, i)
	}
	return out
}

func stylesOf(vs []Vertex, style func(i int) Style) []Style {
	out := make([]Style, len(vs))
	for i, v := range vs {
		if style != nil {
			out[i] = style(i)
		}
		if out[i].Label == "" {
			out[i].Label = v.ID
		}
	}
	return out
}

// DOT writes the graph in Graphviz DOT, left to right, as a digraph called
// name: the vertices as style (nil: boxes labelled with their IDs) says,
// then an edge from every dependency to its dependent.
func DOT(w io.Writer, name string, vs []Vertex, style func(i int) Style) error {
	styles := stylesOf(vs, style)
	pw := bufio.NewWriter(w) // keeps the first write error for Flush
	fmt.Fprintf(pw, "digraph %s {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n", name)
	node := func(indent string, i int) {
		attrs := "label=" + strconv.Quote(styles[i].Label)
		switch styles[i].Shape {
		case Gate:
			attrs = "shape=diamond, " + attrs
		case Join:
			attrs = "shape=circle, " + attrs
		}
		fmt.Fprintf(pw, "%s%s [%s];\n", indent, strconv.Quote(vs[i].ID), attrs)
	}
	for _, c := range clusters(vs, styles) {
		if c.key == "" {
			node("  ", c.members[0])
			continue
		}
		fmt.Fprintf(pw, "  subgraph %s {\n    label=%s;\n", strconv.Quote("cluster_"+c.key), strconv.Quote(c.label))
		for _, i := range c.members {
			node("    ", i)
		}
		fmt.Fprintf(pw, "  }\n")
	}
	for _, v := range vs {
		for _, d := range v.DependsOn {
			fmt.Fprintf(pw, "  %s -> %s;\n", strconv.Quote(d), strconv.Quote(v.ID))
		}
	}
	fmt.Fprintf(pw, "}\n")
	return pw.Flush()
}

// Mermaid writes the graph as a Mermaid flowchart, left to right, which
// GitHub renders in a ```mermaid block: the vertices as style says (nil:
// boxes labelled with their IDs), then an edge from every dependency to
// its dependent.
func Mermaid(w io.Writer, vs []Vertex, style func(i int) Style) error {
	styles := stylesOf(vs, style)
	pw := bufio.NewWriter(w) // keeps the first write error for Flush
	ids := make(map[string]string, len(vs))
	for i, v := range vs {
		ids[v.ID] = "s" + strconv.Itoa(i)
	}
	node := func(indent string, i int) {
		open, end := "[", "]"
		switch styles[i].Shape {
		case Gate:
			open, end = "{{", "}}"
		case Join:
			open, end = "((", "))"
		}
		fmt.Fprintf(pw, "%s%s%s\"%s\"%s\n", indent, ids[vs[i].ID], open, mermaidText(styles[i].Label), end)
	}
	fmt.Fprintf(pw, "flowchart LR\n")
	for n, c := range clusters(vs, styles) {
		if c.key == "" {
			node("  ", c.members[0])
			continue
		}
		fmt.Fprintf(pw, "  subgraph g%d[\"%s\"]\n", n, mermaidText(c.label))
		for _, i := range c.members {
			node("    ", i)
		}
		fmt.Fprintf(pw, "  end\n")
	}
	for _, v := range vs {
		for _, d := range v.DependsOn {
			if from, ok := ids[d]; ok {
				fmt.Fprintf(pw, "  %s --> %s\n", from, ids[v.ID])
			}
		}
	}
	return pw.Flush()
}

// mermaidText escapes a label for a quoted Mermaid node text.
func mermaidText(s string) string { return strings.ReplaceAll(s, `"`, "#quot;") }
