// Package rollback plans a return to a version whose containers are still
// retained (stopped) on the hosts: it lists the retained versions per host
// and role, refuses a version that is not retained everywhere the
// configuration needs it, and answers the planner's image digests from the
// retained containers themselves, so that a rollback needs no registry.
//
// It does not read hosts (the caller hands it their live state, see
// internal/live), build the plan (planner.Build does, with the Resolver and
// Snapshot of this package) nor carry it out (executor.Apply does).
package rollback
