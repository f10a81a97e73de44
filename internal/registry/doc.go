// Package registry resolves an image tag to the digest of its manifest
// through the registry HTTP API v2, so that a plan records exactly which
// image it reviewed and apply deploys that image even if the tag moves.
//
// It speaks HEAD (falling back to GET) /v2/<name>/manifests/<tag>, accepting
// Docker manifest v2, manifest lists, OCI manifests and indexes; it
// authenticates with HTTP Basic or with a Bearer token obtained from the
// realm the registry names (tokens cached per scope). Credentials are used
// only for the configured registry server; other registries are asked
// anonymously. Plain http is used only when the server is marked insecure.
//
// It does not pull images (the executor's dockerapi does) and never prints,
// logs or returns the password.
package registry
