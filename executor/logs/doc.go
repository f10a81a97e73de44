// Package logs shows the logs of a role's containers on several hosts as
// one stream for berth logs: every line prefixed with its host and
// container, merged by time (Collect) or followed on every host at once as
// the lines are written (Follow).
//
// It does not choose the containers (the command does, from the live
// state) nor talk to Docker itself (internal/dockerapi does, through the
// Streamer interface).
package logs
