// Package hooks finds and runs a configuration's hooks: the executables
// in .berth/hooks/ of the configuration directory (pre-plan, pre-apply,
// post-barrier, post-apply, post-failure, pre-rollback, post-rollback).
// They run on the machine that runs berth, never on the hosts, in the
// configuration directory, with the caller's environment plus BERTH_*
// variables (Vars), each bounded by a timeout; their output is passed on
// line by line.
//
// It does not decide when a hook runs: internal/deploy runs the hooks of
// an apply around and inside the executor's walk (post-barrier as the
// barrier's gate), cmd/berth runs pre-plan. The plan records which hooks
// an apply runs, with their digests (planner.Hook), and view renders them.
package hooks
