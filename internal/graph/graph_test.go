package graph

import (
	"errors"
	"slices"
	"testing"
)

func ids(vs []Vertex, order []int) []string {
	out := make([]string, len(order))
	for k, i := range order {
		out[k] = vs[i].ID
	}
	return out
}

// Out-of-order vertices are put in topological order, otherwise keeping theirs.
func TestSortKeepsTheGivenOrderWhereverItCan(t *testing.T) {
	vs := []Vertex{v("b", "a"), v("x"), v("a"), v("c", "b", "b", "a"), v("y")}
	order, err := Sort(vs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(vs, order), []string{"x", "a", "b", "c", "y"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestCheckNamesTheProblem(t *testing.T) {
	for name, tc := range map[string]struct {
		vs   []Vertex
		want string
	}{
		"duplicate": {[]Vertex{v("a"), v("b"), v("a")}, "invalid graph: a is listed twice"},
		"unknown":   {[]Vertex{v("a"), v("b", "a", "zz")}, "invalid graph: b depends on zz, which does not exist"},
		"cycle":     {[]Vertex{v("a", "c"), v("b", "a"), v("c", "b"), v("d")}, "invalid graph: cycle among a, b, c"},
		"self":      {[]Vertex{v("a", "a")}, "invalid graph: cycle among a"},
		// Only what lies on a cycle (or between two) is named, not what
		// merely waits for one.
		"downstream": {[]Vertex{v("a", "b"), v("b", "a"), v("after", "a", "a"), v("later", "after")}, "invalid graph: cycle among a, b"},
		"between":    {[]Vertex{v("a", "b"), v("b", "a"), v("m", "a"), v("c", "m", "d"), v("d", "c"), v("z", "d")}, "invalid graph: cycle among a, b, m, c, d"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Check(tc.vs)
			if !errors.Is(err, ErrInvalid) || err.Error() != tc.want {
				t.Errorf("got %v, want %s", err, tc.want)
			}
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Errorf("%T is not an *InvalidError", err)
			}
		})
	}
}

// A graph listed in a topological order keeps it exactly.
func TestSortOfAnOrderedGraphIsTheIdentity(t *testing.T) {
	vs := []Vertex{v("a"), v("b"), v("c", "a"), v("d", "b", "c"), v("e")}
	order, err := Sort(vs)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{0, 1, 2, 3, 4}) {
		t.Errorf("order %v", order)
	}
}
