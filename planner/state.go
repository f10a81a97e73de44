package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

// The labels berth puts on every container it starts. The planner finds a
// service's containers by LabelService and nothing else: containers without
// it are never read into a plan and never touched.
const (
	LabelService   = "berth.service"
	LabelRole      = "berth.role"
	LabelAccessory = "berth.accessory"
	LabelVersion   = "berth.version"
	LabelConfig    = "berth.config"
	// LabelSpec holds a compact JSON summary of the non-secret parts of the
	// container's spec (see SpecSummary), so that the next plan can say
	// field by field what changed. Secrets appear in it only as salted hashes.
	LabelSpec = "berth.spec"
	// LabelDestination is on the containers of a destination's deploy
	// (--destination): a deploy sees only its own destination's
	// containers, and one without a destination only those without it.
	LabelDestination = "berth.destination"
)

// SplitStateName splits a state name (lang.Config.StateName: SERVICE or
// SERVICE@DESTINATION) into the service and the destination.
func SplitStateName(name string) (service, destination string) {
	service, destination, _ = strings.Cut(name, "@")
	return service, destination
}

// Container is one live container of the service on one host, as read from
// the host's Docker daemon.
type Container struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Role       string            `json:"role,omitempty"`
	Accessory  string            `json:"accessory,omitempty"`
	Version    string            `json:"version"`
	ConfigHash string            `json:"config_hash"`
	Image      string            `json:"image"`    // the reference it was created from (repo:tag@sha256:...)
	ImageID    string            `json:"image_id"` // local image ID, "sha256:..."
	State      string            `json:"state"`    // created, running, paused, restarting, exited, dead
	Health     string            `json:"health,omitempty"`
	Created    time.Time         `json:"created"`
	StartedAt  time.Time         `json:"started_at,omitzero"`
	Labels     map[string]string `json:"labels,omitempty"`
	// Takeover is set on a container another tool runs for the service
	// (TakeoverKamal), read because of the service's takeover block: it is
	// the current version of its role or accessory, stopped and kept by an
	// apply, never removed.
	Takeover string `json:"takeover,omitempty"`
}

// TakeoverKamal marks a container of Kamal's (Container.Takeover).
const TakeoverKamal = "kamal"

// Running reports whether the container is up.
func (c Container) Running() bool { return c.State == "running" || c.State == "restarting" }

// HostState is what one host runs for the service.
type HostState struct {
	Host       string      `json:"host"`
	Containers []Container `json:"containers"`
	// Roster is the service's roster as this host keeps it: the hosts the
	// service was last deployed to. Not part of the fingerprint.
	Roster []RosterHost `json:"roster,omitempty"`
	// Routes are every service's routes in the host's running proxy
	// (`kamal-proxy list`); none without a running proxy.
	Routes []LiveRoute `json:"routes,omitempty"`
}

// RosterHost is one host of a service's roster. It holds no secret.
type RosterHost struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	User    string `json:"user,omitempty"`
	Port    int    `json:"port,omitempty"`
}

// HostAdder is implemented by a StateReader that can be told how to reach
// a host the configuration no longer declares (one read from a roster).
type HostAdder interface {
	AddHost(h RosterHost) error
}

// Fingerprint identifies the live state a plan was computed from. It covers
// what the plan depends on (IDs, names, states, versions, config hashes,
// images) and nothing that changes by itself (health, timestamps).
func (h HostState) Fingerprint() string {
	lines := make([]string, 0, len(h.Containers))
	for _, c := range h.Containers {
		lines = append(lines, strings.Join([]string{c.ID, c.Name, c.Role, c.Accessory, c.Version, c.ConfigHash, c.Image, c.State}, "\x1f"))
	}
	// Of the shared proxy's routes, what a plan decides on: which routes
	// there are and what they claim; not where they point or whether they
	// are in maintenance, which another service's deploy changes.
	for _, r := range h.Routes {
		lines = append(lines, strings.Join([]string{"route", r.Service, strings.Join(r.Hosts, ","), strings.Join(r.Paths, ",")}, "\x1f"))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(h.Host + "\x1e" + strings.Join(lines, "\x1e")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// StateReader reads the live state of one host: every container labelled
// berth.service=service, running or not. Implementations must not return
// containers without that label. service is a state name: for
// SERVICE@DESTINATION, only the containers labelled with that destination
// (LabelDestination), else only those without the label.
type StateReader interface {
	ReadState(ctx context.Context, host, service string) (HostState, error)
}

// DigestResolver resolves an image reference with a tag ("repo:tag") to the
// digest of its manifest ("sha256:..."), so that apply runs exactly the
// reviewed image even if the tag moves.
type DigestResolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}
