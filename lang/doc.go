// Package lang reads a berth configuration: every *.hcl file of a directory,
// decoded with hcl/v2 and evaluated with go-cty (variables, locals, the
// standard functions plus env and file), then validated. Every problem with
// the user's configuration is an hcl.Diagnostic whose range points at the
// offending block or expression.
//
// The result is a Config: plain Go data with no hcl or cty types, which is
// all the planner and executor ever see. Sensitive values travel as Secret,
// which never prints its value.
//
// lang does not talk to hosts or registries (planner and executor do) and it
// does not decide what to change (planner does).
package lang
