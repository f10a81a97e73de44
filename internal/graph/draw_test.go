package graph

import (
	"strings"
	"testing"
)

// drawn is a small deploy-shaped graph: two clusters, a gate and a join.
var drawn = []Vertex{v("h1/pull"), v("h1/start", "h1/pull"), v("gate", "h1/start"), v("join", "h1/start"), v("h2/start", "gate", "join")}

func drawnStyle(i int) Style {
	id := drawn[i].ID
	switch id {
	case "gate":
		return Style{Shape: Gate}
	case "join":
		return Style{Label: "batch 1", Shape: Join}
	}
	host, kind, _ := strings.Cut(id, "/")
	return Style{Label: kind, Cluster: host, ClusterLabel: host + ` "x"`}
}

func TestDOT(t *testing.T) {
	var b strings.Builder
	if err := DOT(&b, "g", drawn, drawnStyle); err != nil {
		t.Fatal(err)
	}
	want := `digraph g {
  rankdir=LR;
  node [shape=box, fontname="monospace"];
  subgraph "cluster_h1" {
    label="h1 \"x\"";
    "h1/pull" [label="pull"];
    "h1/start" [label="start"];
  }
  "gate" [shape=diamond, label="gate"];
  "join" [shape=circle, label="batch 1"];
  subgraph "cluster_h2" {
    label="h2 \"x\"";
    "h2/start" [label="start"];
  }
  "h1/pull" -> "h1/start";
  "h1/start" -> "gate";
  "h1/start" -> "join";
  "gate" -> "h2/start";
  "join" -> "h2/start";
}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestMermaid(t *testing.T) {
	var b strings.Builder
	if err := Mermaid(&b, drawn, drawnStyle); err != nil {
		t.Fatal(err)
	}
	want := `flowchart LR
  subgraph g0["h1 #quot;x#quot;"]
    s0["pull"]
    s1["start"]
  end
  s2{{"gate"}}
  s3(("batch 1"))
  subgraph g3["h2 #quot;x#quot;"]
    s4["start"]
  end
  s0 --> s1
  s1 --> s2
  s1 --> s3
  s2 --> s4
  s3 --> s4
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestDrawWithoutStyleShowsIDs(t *testing.T) {
	var b strings.Builder
	if err := Mermaid(&b, []Vertex{v("a"), v("b", "a")}, nil); err != nil {
		t.Fatal(err)
	}
	if want := "flowchart LR\n  s0[\"a\"]\n  s1[\"b\"]\n  s0 --> s1\n"; b.String() != want {
		t.Errorf("got %q", b.String())
	}
}
