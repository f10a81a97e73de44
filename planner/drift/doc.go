// Package drift compares the live containers of a service with its
// configuration, for berth status: for every host and role (or accessory)
// of the configuration it says which container serves, and marks DRIFT (a
// container that differs from the configuration: not running, another
// version, another config) and UNCLAIMED (a container of the service that
// no role or accessory of the configuration claims any more). A host that
// could not be read is one UNREACHABLE row with the error: never left out,
// so a caller cannot mistake it for a host that runs what it should.
//
// It needs no registry: a container's config hash is compared with the
// hash the configuration would give the same image digest, so everything
// but the digest is compared. A tag that moved to another digest shows
// only in berth plan, which asks the registry.
//
// It does not read hosts (internal/live does) nor plan changes (planner
// does).
package drift
