// Package imagebuild builds a service's image from its build block and
// pushes it: it finds an image already pushed for the version (a clean
// git commit is built once), sends the context as a tar (.dockerignore
// applied) to a Docker daemon's own build API with BuildKit, serves the
// build's secrets through a BuildKit session, shows the steps and the
// pushed bytes, and on a failure returns the failed step's last lines.
//
// It does not decide where the daemon is (the caller hands it one, see
// Locate), does not resolve digests for the plan (planner does, through
// internal/registry) and never prints or stores a secret: values of the
// build's secrets are masked in every line it shows.
package imagebuild
