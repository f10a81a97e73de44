// Package planner turns a configuration and the live state of its hosts into
// a Plan: per (host, role) and per accessory, what to create, replace, leave
// unchanged or remove, and why; the ordered step graph with the primary host
// and role first and the deployment barrier; and the versioned plan file.
//
// The entry points are Build (read hosts and registry, diff, graph),
// BuildGraph (the graph's semantics are documented there: primary first,
// the barrier, one join step between two rolling batches; checking and
// ordering it is internal/graph's), Spec, AccessorySpec and ProxySpec (the
// container a change wants, with its config hash; proxy.go holds the
// kamal-proxy model, routes.go the routes of the shared proxy and the
// check that no two claim one host name and path), WriteFile/ReadFile/Open (the plan file, upgraded
// from older formats), CheckStale (has the world moved on since the plan
// was made?) and Verify (re-derive a saved plan and refuse it unless it is
// the same plan, naming the first field that differs: Compare walks the
// two JSON encodings).
//
// The plan is plain data and holds no secret value: secrets appear only as
// salted hashes. planner reads live state and resolves image digests only
// through the StateReader and DigestResolver interfaces it defines; the SSH,
// Docker and registry clients live in internal/dockerapi and internal/registry. It
// never changes a host (executor does), never parses HCL (lang does) and
// never formats output for people (view does).
package planner
