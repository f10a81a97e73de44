// Package buildkit speaks the two small parts of BuildKit's protocol that
// a client of the Docker Engine's build API (POST /build?version=2) needs:
// it decodes the build's progress (the "moby.buildkit.trace" messages,
// protobuf StatusResponse) into steps, byte counts and log lines, and it
// serves a build session's secrets (moby.buildkit.secrets.v1, gRPC over
// HTTP/2 on the connection the daemon's POST /session hijacks), so that
// `RUN --mount=type=secret` reads a secret that never enters the image.
//
// It does not talk to the daemon (internal/dockerapi does), does not pick
// what to build (internal/imagebuild does) and does not render anything.
// It has no dependency beyond the standard library: the few protobuf
// messages involved are read and written by hand.
package buildkit
