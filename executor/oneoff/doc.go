// Package oneoff runs a command for berth exec: in a new, one-off
// container of a role's deployed image with the role's environment (its
// secrets included, handed to the daemon inside the create request over
// the SSH connection, never on a command line or in a file), attached to
// the caller's streams, returning the command's exit status; the
// container is removed afterwards, also when the run is interrupted.
//
// It does not choose the host, the image or the environment (the command
// does, from the configuration and the live state) and does not talk to
// Docker itself (internal/dockerapi does, through the Docker interface).
package oneoff
