// Package console runs a command in a running container for berth exec
// --reuse (docker exec through the Engine API over the host's SSH
// connection), its output streamed to the caller as it comes, and, with
// --interactive, the caller's stdin attached and, on a terminal, a TTY:
// the local terminal in raw mode (restored on every exit path), its size
// given to the command and again on every SIGWINCH.
//
// It does not choose the host or the container (the command does, from
// the configuration and the live state), and it does not make one-off
// containers (executor/oneoff does, and takes its terminal sizes from
// here).
package console
