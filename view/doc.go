// Package view renders plans and step graphs: the human plan output with
// + ~ - markers and reasons, a JSON document with its own format_version,
// a Markdown summary for pull requests, and the graph as DOT or Mermaid.
//
// It renders planner data and nothing else: it computes no plan (planner
// does), reads no host and writes no file (cmd/berth does). Every renderer
// only ever sees secret-free data, so none can print a secret.
package view
