package graph

import (
	"container/heap"
	"errors"
	"slices"
	"strings"
)

// Vertex is one node of a graph: an ID unique in its graph and the IDs of
// the vertices it depends on.
type Vertex struct {
	ID        string
	DependsOn []string
}

// ErrInvalid is matched (errors.Is) by the error for a graph that cannot
// be walked: a duplicate ID, an unknown dependency or a cycle.
var ErrInvalid = errors.New("invalid graph")

// InvalidError says what makes a graph invalid. It matches ErrInvalid.
type InvalidError struct {
	// Problem names the vertices concerned: "a is listed twice",
	// "a depends on zz, which does not exist", "cycle among a, b, c".
	Problem string
}

func (e *InvalidError) Error() string        { return ErrInvalid.Error() + ": " + e.Problem }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Check verifies that the graph can be walked: unique IDs, known
// dependencies, no cycle. Its error is an *InvalidError.
func Check(vs []Vertex) error {
	_, err := build(vs)
	return err
}

// Sort returns the positions of vs in a topological order that keeps the
// given order wherever the dependencies allow: of the vertices whose
// dependencies are all placed, the one listed first comes next. Its error
// is an *InvalidError.
func Sort(vs []Vertex) ([]int, error) {
	ix, err := build(vs)
	if err != nil {
		return nil, err
	}
	return ix.order, nil
}

// indexed is a checked graph by position: each vertex's dependencies
// (without repeats) and dependents, in flat slices, and the topological
// order.
type indexed struct {
	deps, depOff  []int // vertex i depends on deps[depOff[i]:depOff[i+1]]
	next, nextOff []int // vertex j is a dependency of next[nextOff[j]:nextOff[j+1]]
	unmet         []int // number of dependencies; a walk counts them down
	order         []int
}

func (ix *indexed) dependencies(i int) []int { return ix.deps[ix.depOff[i]:ix.depOff[i+1]] }
func (ix *indexed) dependents(j int) []int   { return ix.next[ix.nextOff[j]:ix.nextOff[j+1]] }

// build checks vs, indexes it and puts it in order.
func build(vs []Vertex) (*indexed, error) {
	ix, listedInOrder, err := index(vs)
	if err != nil {
		return nil, err
	}
	ix.order = make([]int, 0, len(vs))
	if listedInOrder { // what Kahn's algorithm would find
		for i := range vs {
			ix.order = append(ix.order, i)
		}
		return ix, nil
	}
	return ix, ix.sort(vs)
}

// index resolves the dependencies of vs to positions and says whether
// every vertex is listed after its dependencies.
func index(vs []Vertex) (ix *indexed, listedInOrder bool, err error) {
	pos := make(map[string]int, len(vs))
	edges := 0
	for i, v := range vs {
		if _, dup := pos[v.ID]; dup {
			return nil, false, &InvalidError{Problem: v.ID + " is listed twice"}
		}
		pos[v.ID] = i
		edges += len(v.DependsOn)
	}
	ix = &indexed{deps: make([]int, 0, edges), depOff: make([]int, len(vs)+1), nextOff: make([]int, len(vs)+1), unmet: make([]int, len(vs))}
	countedBy := make([]int, len(vs)) // i+1 once vertex i counted dependency j
	listedInOrder = true
	for i, v := range vs {
		for _, d := range v.DependsOn {
			j, ok := pos[d]
			if !ok {
				return nil, false, &InvalidError{Problem: v.ID + " depends on " + d + ", which does not exist"}
			}
			listedInOrder = listedInOrder && j < i
			if countedBy[j] != i+1 {
				countedBy[j] = i + 1
				ix.deps = append(ix.deps, j)
				ix.nextOff[j+1]++
			}
		}
		ix.depOff[i+1] = len(ix.deps)
		ix.unmet[i] = ix.depOff[i+1] - ix.depOff[i]
	}
	// The dependents, from the dependencies: nextOff counts, then offsets.
	for j := range vs {
		ix.nextOff[j+1] += ix.nextOff[j]
	}
	ix.next = make([]int, len(ix.deps))
	fill := slices.Clone(ix.nextOff[:len(vs)])
	for i := range vs {
		for _, j := range ix.dependencies(i) {
			ix.next[fill[j]] = i
			fill[j]++
		}
	}
	return ix, listedInOrder, nil
}

// sort finds the order with Kahn's algorithm, the lowest position first
// among the ready vertices, or names the cycle.
func (ix *indexed) sort(vs []Vertex) error {
	indeg := slices.Clone(ix.unmet)
	ready := &minHeap{}
	for i := range vs {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		ix.order = append(ix.order, i)
		for _, j := range ix.dependents(i) {
			if indeg[j]--; indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(ix.order) < len(vs) {
		return &InvalidError{Problem: "cycle among " + strings.Join(ix.onCycles(vs, indeg), ", ")}
	}
	return nil
}

// onCycles names the vertices that Kahn's algorithm could not place
// (indeg > 0), less those that are only downstream of a cycle: what is
// left lies on a cycle or between two. In the given order.
func (ix *indexed) onCycles(vs []Vertex, indeg []int) []string {
	stuck := func(i int) bool { return indeg[i] > 0 }
	// Peel off, from the end, every stuck vertex that no stuck vertex
	// depends on.
	out := make([]int, len(vs)) // stuck dependents of each stuck vertex
	var leaves []int
	for i := range vs {
		if !stuck(i) {
			continue
		}
		for _, j := range ix.dependents(i) {
			if stuck(j) {
				out[i]++
			}
		}
		if out[i] == 0 {
			leaves = append(leaves, i)
		}
	}
	peeled := make([]bool, len(vs))
	for len(leaves) > 0 {
		i := leaves[len(leaves)-1]
		leaves = leaves[:len(leaves)-1]
		peeled[i] = true
		for _, j := range ix.dependencies(i) {
			if stuck(j) {
				if out[j]--; out[j] == 0 {
					leaves = append(leaves, j)
				}
			}
		}
	}
	var names []string
	for i, v := range vs {
		if stuck(i) && !peeled[i] {
			names = append(names, v.ID)
		}
	}
	return names
}

// minHeap is a container/heap of ints, smallest first.
type minHeap []int

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
