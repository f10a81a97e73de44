// Package localregistry runs the registry of `registry { local = true }`:
// Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1
// of the machine berth runs on, its storage kept between runs so that a
// version built once is found again. It listens on the loopback only;
// builders and hosts reach it through ports forwarded over their SSH
// connections (internal/sshx), never through the network.
//
// It does not forward anything (internal/deploy sets the forwards up) and
// does not push or pull (the Docker daemons do).
package localregistry
