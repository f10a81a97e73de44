// Package deploy runs berth's commands against the hosts of one
// configuration: it opens the connections (one verified SSH connection per
// host, the Docker API and the registry client over them), takes the deploy
// lock, reads the live state, plans, carries a plan out with the executor,
// and writes the audit line and the roster on the hosts; it prunes, reads
// the status, lists the volumes a destroy keeps, and puts the service's
// proxied routes in maintenance and out of it.
//
// It returns data, not text: cmd/berth turns flags into its options and
// renders what it returns, for people or as JSON. It does not decide what
// to change (planner does) nor how a step runs (executor does). Every
// per-host fan-out goes through internal/fanout.
package deploy
