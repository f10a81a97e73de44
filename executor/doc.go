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
// It does not take the deploy lock, write the audit line or the roster:
// the command that runs an apply does, with the lock, audit and roster
// packages.
//
// The walk itself is internal/graph's, which knows nothing about Docker.
// Its subpackages do one job each: sshx (one verified SSH connection per
// host), dockerapi (the Docker Engine API through that connection) and live
// (the planner's view of a host). executor does not decide what to change:
// planner does.
package executor
