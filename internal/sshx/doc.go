// Package sshx opens one verified SSH connection per host and reuses it for
// every command and every forwarded socket of a run.
//
// A Pool dials a host the first time it is asked for it (concurrent callers
// share that one dial), keeps the connection alive with keepalive@openssh.com
// requests so that a dead host is noticed, and dials again only when the
// connection died. Host keys are always verified against a known_hosts file;
// the "accept-new" policy records keys of hosts not seen before but still
// refuses a changed key. Authentication uses an identity file and, when
// SSH_AUTH_SOCK is set, the ssh-agent. A ProxyJump bastion is verified with
// the same known_hosts file, and one connection to it carries every host's.
//
// A Conn runs a command in a new session (Run) and forwards connections to a
// unix socket or a TCP address on the host (DialContext), which is how the
// dockerapi package reaches the Docker Engine API. At most MaxSessions
// commands run at once on a connection (sshd refuses more); the others wait.
// Every command is bounded by the command timeout.
//
// sshx knows nothing about Docker or about plans: dockerapi speaks the
// Engine API over a Conn, and live reads the planner's state through it.
package sshx
