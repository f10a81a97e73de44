// Package executor carries out a plan: it walks the step graph with bounded
// parallelism, holds the deployment barrier (no other role starts a new
// container or stops an old one until the primary role's new container is
// healthy on the primary host), waits for every branch to finish or clean
// up, and reports all errors together. It goes by what the hosts say, not
// by replies: after a lost reply it redials and inspects before it cleans
// up, and it stops containers gracefully (stop.go). For a role behind
// kamal-proxy, the health step is a switch: `kamal-proxy deploy` run inside
// the host's proxy container (proxy.go).
//
// Each branch (one host and role, or accessory) moves through the states of
// branch.go; after the walk, the clean-up reads them as a table.
//
// It does not take the deploy lock, write the audit line or the roster:
// internal/deploy does, with the lock, audit and roster packages. It does
// not dial: it reaches each host's Docker API through the Hosts interface.
// The walk itself is internal/graph's, which knows nothing about Docker.
// executor does not decide what to change: planner does.
package executor
