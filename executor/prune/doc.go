// Package prune removes what a service no longer needs on a host: stopped
// containers of each role and accessory beyond the retain count (the
// newest are kept for berth rollback), stopped one-off containers of berth
// exec, and images of the service's repositories that no container on the
// host uses any more.
//
// It never touches a running container, a container without the service's
// label, or an image of another repository or still used by any container
// (berth's or not). It does not decide the retain count or the
// repositories (the configuration does) and does not talk to Docker itself
// (internal/dockerapi does, through the Docker interface).
package prune
