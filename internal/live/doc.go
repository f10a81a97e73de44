// Package live is the planner's view of a host: it implements
// planner.StateReader by listing, over the host's SSH connection, the
// containers labelled berth.service=SERVICE and the host's shared proxy
// (labelled berth.proxy=true, whichever service started it), with every
// service's routes in the running proxy (`kamal-proxy list`), and maps
// their berth.* labels to planner.Container.
//
// With a takeover (TakeOver), it also reads the containers of the Kamal
// app being taken over, by Kamal's own labels and names (FromKamal), and
// Kamal's kamal-proxy with its routes, each marked planner.TakeoverKamal.
//
// It also hands out one dockerapi.Client per host (Client), so that the
// executor reuses the same connection and forwarded channels as planning.
// It does not compare states or decide anything: planner does.
package live
