// Package live is the planner's view of a host: it implements
// planner.StateReader by listing, in one Docker Engine API request over the
// host's SSH connection, the containers labelled berth.service=SERVICE, and
// maps their berth.* labels to planner.Container.
//
// It also hands out one dockerapi.Client per host (Client), so that the
// executor reuses the same connection and forwarded channels as planning.
// It does not compare states or decide anything: planner does.
package live
