// Package graph is berth's dependency graph: vertices that name the
// vertices they depend on, checked (unique IDs, known dependencies, no
// cycle), put in a stable topological order, walked in parallel, and drawn
// in Graphviz DOT or Mermaid.
//
// A vertex is only an ID and its dependencies. The package knows nothing
// about deploys, hosts or Docker: the planner builds the step graph of a
// deploy (planner.BuildGraph) and says what its vertices are, the executor
// says what running one means (the function given to Walk), and the views
// say how one is labelled and grouped when drawn (the Style of DOT and
// Mermaid). It keeps no state between calls.
//
// Walk runs a vertex once every vertex it depends on has succeeded, at
// most Options.Parallelism at once; a vertex that is ready waits for a
// slot in topological order, so the first vertices of the given order
// never queue behind the rest. When one fails, everything that depends on
// it is skipped, but every branch that does not carries on to its end: the
// walk never abandons a running vertex. When the context is cancelled, no
// new vertex starts and the running ones are left to finish (they get a
// context that is not cancelled with it; they can watch the walk's context
// themselves to cut a wait short and clean up). Walk returns once nothing
// runs any more, with the errors of every failed vertex joined. The walk's
// own work is proportional to the vertices and the edges: it keeps a count
// of unmet dependencies per vertex and never rescans them.
package graph
