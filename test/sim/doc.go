// Package sim simulates a fleet of Docker hosts for berth's benchmarks and
// tests: each host is an in-process SSH server (golang.org/x/crypto/ssh) on
// its own 127.0.0.1 port that serves an in-memory Docker Engine API on
// forwarded connections to /var/run/docker.sock
// (direct-streamlocal@openssh.com channels) and answers the few shell
// commands berth runs over SSH exec (the deploy lock and the audit log).
// Every Docker API request and every exec command waits a configurable
// latency before it is answered. A small in-memory registry (httptest on
// loopback) answers tag-to-digest lookups.
//
// The Docker model covers what berth uses (list, create, start, stop,
// rename, remove, inspect, exec, logs, pull, image inspect) with the
// status codes the real daemon gives (404 unknown, 409 name taken, 304
// already started or stopped, port already allocated). It does not run
// anything: a started container runs until it is stopped, every exec exits
// 0 while its container runs, and images are "pulled" instantly. The one
// program it models is kamal-proxy's command line (kamalproxy.go): the
// daemon keeps the routes that `kamal-proxy deploy|remove|stop|resume`
// change in a proxy container, and `kamal-proxy list` prints them.
//
// Builds (build.go, buildsession.go, push.go): POST /build?version=2
// reads the context tar and "runs" its Dockerfile into BuildKit's
// progress trace, with a build cache per daemon; a step that needs a
// secret, or a FROM on the fleet's registry that asks for a login, asks
// the client's build session (POST /session, HTTP/2 gRPC, the sim in the
// daemon's place); POST /images/NAME/push pushes a built image to the
// fleet's registry (Fleet.UseRegistry) with the login of X-Registry-Auth.
// A host's daemon can answer on a local unix socket too (Host.ServeUnix).
//
// It does not simulate network faults, slow handshakes or other users of a
// host; the lab (test/lab) has real hosts for that.
package sim
