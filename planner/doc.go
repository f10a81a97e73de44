// Package planner turns a configuration and the live state of its hosts into
// a Plan: per (host, role) and per accessory, what to create, replace, leave
// unchanged or remove, and why; the ordered step graph with the primary host
// and role first and the deployment barrier; and the versioned plan file.
//
// The plan is plain data. planner reads live state and resolves image
// digests only through the StateReader and DigestResolver interfaces it
// defines; the SSH and Docker implementations live in executor. It never
// changes a host: executor does.
package planner
