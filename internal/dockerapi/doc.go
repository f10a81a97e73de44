// Package dockerapi is a small client of the Docker Engine API, reached
// through a Dialer (an SSH connection forwarding the host's
// /var/run/docker.sock). It covers what berth needs: list, inspect, pull,
// create, start, stop, remove, rename, exec, logs and image removal.
//
// Requests share kept-alive connections, so a run costs one forwarded
// channel per concurrent request, not one per call. The API version is
// negotiated once per client from the API-Version header of the daemon's
// first answer: the first request speaks MinAPIVersion, which every
// supported daemon accepts, so no separate GET /_ping round trip is needed
// (capped at MaxAPIVersion, refused below MinAPIVersion).
//
// It does not use the docker CLI or the Docker SDK, does not decide what to
// run (planner does) and does not know about SSH (sshx does). Environment
// values and registry passwords passed to it are never logged or put in
// errors.
package dockerapi
