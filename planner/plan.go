package planner

import (
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/lang"
)

// FormatVersion is the plan file format written by this berth. Readers
// refuse an unknown major version. 2.0 added the options that change what
// apply does (include_accessories, remove_volumes, volumes): a 1.x berth
// would ignore them, so it must refuse such a file. 3.0 is compact and
// leaves out what the reader derives (WriteFile): a 2.x berth would read
// steps without kinds, so it must refuse such a file. ReadFile upgrades
// 1.x, 2.x and 3.x. 4.0 added the destination: a 3.x berth would apply
// the plan of a destination to the base configuration's hosts, so it must
// refuse such a file.
const FormatVersion = "4.0"

// Action is what a plan does to one (host, role) or (host, accessory).
type Action string

const (
	ActionCreate    Action = "create"    // nothing of it runs yet
	ActionReplace   Action = "replace"   // another version or config runs
	ActionUnchanged Action = "unchanged" // the desired container runs
	ActionRemove    Action = "remove"    // the role, accessory or host left the config
)

// Symbol is the marker used in human output: + ~ - or a space.
func (a Action) Symbol() string {
	switch a {
	case ActionCreate:
		return "+"
	case ActionReplace, ActionStop, ActionRestart:
		return "~"
	case ActionRemove:
		return "-"
	}
	return " "
}

// Address names what a change is about: a role or an accessory on a host.
type Address struct {
	Host      string `json:"host"`
	Role      string `json:"role,omitempty"`
	Accessory string `json:"accessory,omitempty"`
	// Proxy marks the host's proxy container (Role and Accessory empty).
	Proxy bool `json:"proxy,omitempty"`
}

// String gives "h1/web", "h3/accessory.cache" or "h1/berth-proxy".
func (a Address) String() string {
	if a.Proxy {
		return a.Host + "/" + ProxyContainer
	}
	if a.Accessory != "" {
		return a.Host + "/accessory." + a.Accessory
	}
	return a.Host + "/" + a.Role
}

// Reason is one difference between the live and the desired container.
// Secret values never appear: Old and New say "(sensitive)".
type Reason struct {
	Field string `json:"field"` // "version", "image", "cmd", "env.KEY", "secret_env.KEY", "ports", "volumes", "healthcheck", "labels", "stop_timeout", "config", "state"
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
	// Op is "added" or "removed" for a map entry (env.KEY, secret_env.KEY)
	// that exists on one side only; empty for a changed value.
	Op string `json:"op,omitempty"`
}

// Reason operations.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	// OpStop marks a running container (Old) that the change stops
	// because another container of the address runs (New says why).
	OpStop = "stop"
)

// HealthKind is how a health check is made.
type HealthKind string

// The kinds of health check.
const (
	// HealthCmd runs Cmd inside the container without a shell (docker exec argv).
	HealthCmd HealthKind = "cmd"
	// HealthShell runs Shell with /bin/sh -c inside the container.
	HealthShell HealthKind = "shell"
	// HealthHTTP: berth polls GET http://CONTAINER:HTTPPort/HTTPPath for a 2xx.
	HealthHTTP HealthKind = "http"
	// HealthAuto: no healthcheck configured. The planner cannot know whether
	// the image has a HEALTHCHECK, so the executor uses the image's own if
	// the container reports one, else counts the container as healthy once
	// it has been running for Deadline (the readiness delay).
	HealthAuto HealthKind = "auto"
	// HealthRunning: healthy once running for Deadline (never written by
	// the planner today; kept for executors that want it explicitly).
	HealthRunning HealthKind = "running"
)

// HealthSpec is how the executor decides that a new container is healthy.
type HealthSpec struct {
	Kind     HealthKind    `json:"kind"`
	Cmd      []string      `json:"cmd,omitempty"`
	Shell    string        `json:"shell,omitempty"`
	HTTPPath string        `json:"http_path,omitempty"`
	HTTPPort int           `json:"http_port,omitempty"`
	Interval time.Duration `json:"interval"`
	Retries  int           `json:"retries,omitempty"`
	Deadline time.Duration `json:"deadline"`
	// SteadyInterval is Docker's own check interval once the deploy is
	// over; 0 = lang.DefaultSteadyInterval. Interval is the deploy's probe.
	SteadyInterval time.Duration `json:"steady_interval,omitempty"`
}

// ContainerSpec is the container a change wants on a host. It holds no
// secret value: SecretEnv maps each secret variable to a salted hash, and
// the executor takes the values from the configuration at apply time.
type ContainerSpec struct {
	Name      string            `json:"name"`  // SERVICE-ROLE-VERSION
	Image     string            `json:"image"` // repo:tag@sha256:... (exactly what was reviewed)
	Cmd       []string          `json:"cmd,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	SecretEnv map[string]string `json:"secret_env,omitempty"` // name -> hash
	Ports     []lang.Port       `json:"ports,omitempty"`
	Volumes   []string          `json:"volumes,omitempty"`
	Labels    map[string]string `json:"labels"` // includes every berth.* label
	Health    HealthSpec        `json:"health"`
	// StopSignal and StopTimeout are Docker's own settings of the new
	// container (what a `docker stop` by hand uses); berth gives them again
	// at stop time from Change.Stop. Neither is part of ConfigHash.
	StopSignal  string        `json:"stop_signal,omitempty"`
	StopTimeout time.Duration `json:"stop_timeout"`
	ConfigHash  string        `json:"config_hash"`
	// Network is the Docker network the container is created on ("" =
	// the default bridge), Aliases its DNS names there; Proxy is the route
	// of a proxied role through the host's kamal-proxy, whose network the
	// container joins too (see Networks).
	Network string      `json:"network,omitempty"`
	Aliases []string    `json:"aliases,omitempty"`
	Proxy   *ProxyRoute `json:"proxy,omitempty"`
	// Options are the Docker options of the container; nil = none.
	Options *ContainerOptions `json:"options,omitempty"`
}

// Change is the plan for one Address.
type Change struct {
	Address Address  `json:"address"`
	Action  Action   `json:"action"`
	Primary bool     `json:"primary,omitempty"` // the primary role on the primary host: the barrier's opener
	Reasons []Reason `json:"reasons,omitempty"`
	// Running is the container serving now (the one to stop), if any.
	Running *Container `json:"running,omitempty"`
	// Others are the other live containers of this address (retained old
	// versions, a stopped current one), newest first.
	Others []Container `json:"others,omitempty"`
	// Desired is nil for a remove.
	Desired *ContainerSpec `json:"desired,omitempty"`
	// Extra are the other running containers of this address besides
	// Running: the desired state is exactly one running container, so the
	// change stops them too (they are kept, stopped, like any old container).
	Extra []Container `json:"extra,omitempty"`
	// Keep is the desired container when it already runs beside others:
	// the change starts nothing new, it checks Keep and stops the others.
	Keep *Container `json:"keep,omitempty"`
	// Stop is how this change stops the containers it stops or removes.
	Stop StopSpec `json:"stop"`
	// Forced is a replace --replace asked for: apply makes a new
	// container even when the desired one runs or is retained.
	Forced bool `json:"forced,omitempty"`
}

// StopSpec is how a container is stopped: Signal (empty: the container's
// own stop signal, else SIGTERM), then Timeout for it to end before it is
// killed.
type StopSpec struct {
	Signal  string        `json:"signal,omitempty"`
	Timeout time.Duration `json:"timeout"`
}

// HostSnapshot records a host's live state as the plan saw it.
type HostSnapshot struct {
	Name        string `json:"name"`
	Address     string `json:"address"`
	Fingerprint string `json:"fingerprint"`
	// Departed marks a host that left the configuration (found in the
	// roster); User and Port say how to reach it again.
	Departed bool   `json:"departed,omitempty"`
	User     string `json:"user,omitempty"`
	Port     int    `json:"port,omitempty"`
	// Containers lists what the fingerprint covers, so that a stale check
	// can say what changed. No secret is in it.
	Containers []SnapshotContainer `json:"containers,omitempty"`
}

// SnapshotContainer is one live container as recorded in a plan's HostSnapshot.
type SnapshotContainer struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	State      string `json:"state"`
	Version    string `json:"version,omitempty"`
	ConfigHash string `json:"config_hash,omitempty"`
}

// StepKind is one kind of step of the graph.
type StepKind string

const (
	StepPull    StepKind = "pull"
	StepCreate  StepKind = "create"
	StepStopOld StepKind = "stop_old"
	StepStart   StepKind = "start"
	StepHealth  StepKind = "health"
	StepPrune   StepKind = "prune"
	StepRemove  StepKind = "remove"
	StepBarrier StepKind = "barrier"
	// StepSwitch replaces health for a proxied role: the host's kamal-proxy
	// health-checks the new container and switches the role's route to it
	// (draining the old one), or keeps the old route when it never turns healthy.
	StepSwitch StepKind = "switch"
)

// Step is one vertex of the apply graph.
type Step struct {
	ID        string   `json:"id"` // "h1/web/pull", "barrier"
	Kind      StepKind `json:"kind"`
	Address   Address  `json:"address,omitzero"` // zero for the barrier
	Batch     int      `json:"batch"`            // rolling batch, 0-based
	DependsOn []string `json:"depends_on,omitempty"`
}

// Graph is the ordered set of steps. Steps are listed in a topological
// order with the primary host and role first.
type Graph struct {
	Steps []Step `json:"steps"`
}

// Plan is the reviewed intent: plain data, safe to share (no secret value).
type Plan struct {
	FormatVersion string            `json:"format_version"`
	BerthVersion  string            `json:"berth_version"`
	CreatedAt     time.Time         `json:"created_at"`
	Service       string            `json:"service"`
	Destination   string            `json:"destination,omitempty"` // --destination; "" = none
	Version       string            `json:"version"`
	ConfigHash    string            `json:"config_hash"`
	Variables     []lang.Variable   `json:"variables,omitempty"`
	Images        map[string]string `json:"images"` // "repo:tag" -> "sha256:..."
	Hosts         []HostSnapshot    `json:"hosts"`
	Changes       []Change          `json:"changes"`
	Graph         Graph             `json:"graph"`
	// The options the plan was made with: apply re-derives the plan with
	// them, and every rendering shows them (see Options and CommandLine).
	Targets            []string `json:"targets,omitempty"`  // --target given; the plan may be partial
	Excludes           []string `json:"excludes,omitempty"` // --exclude given
	Destroy            bool     `json:"destroy,omitempty"`
	IncludeAccessories bool     `json:"include_accessories,omitempty"` // destroy --include-accessories
	RemoveVolumes      bool     `json:"remove_volumes,omitempty"`      // destroy --remove-volumes
	// AccessoryOp is `berth accessory stop|start|restart NAME`.
	AccessoryOp *AccessoryOp `json:"accessory_op,omitempty"`
	// Volumes are the named volumes that apply removes after the
	// containers, per host (only with RemoveVolumes).
	Volumes map[string][]string `json:"volumes,omitempty"`
	// Departed are the hosts that left the configuration but are still in
	// the service's roster, read or (with --exclude) not: an apply keeps
	// them in the roster until their containers are gone.
	Departed []RosterHost `json:"departed,omitempty"`
	// Hooks are the hooks an apply of the plan runs, in the order they
	// run (none with NoHooks: --no-hooks).
	Hooks   []Hook `json:"hooks,omitempty"`
	NoHooks bool   `json:"no_hooks,omitempty"`
	// Replace are the addresses --replace forces a new container for.
	Replace []string `json:"replace,omitempty"`
	// Stop is a plan of berth stop: it stops the targeted role.
	Stop bool `json:"stop,omitempty"`
}

// Options are the options the plan was made with, for re-deriving it
// (Verify). An Options field that shapes the plan must be a Plan field,
// copied here and shown by CommandLine: else apply FILE re-derives the plan
// without it and refuses the file.
func (p *Plan) Options() Options {
	return Options{
		Targets: slices.Clone(p.Targets), Excludes: slices.Clone(p.Excludes),
		Destroy: p.Destroy, IncludeAccessories: p.IncludeAccessories, RemoveVolumes: p.RemoveVolumes,
		Accessory: p.AccessoryOp, BerthVersion: p.BerthVersion, NoHooks: p.NoHooks, Replace: slices.Clone(p.Replace),
	}
}

// CommandLine is the berth command that makes this plan, without its
// variables (the plan carries them): "berth plan", "berth plan --target
// worker", "berth destroy --include-accessories --remove-volumes".
func (p *Plan) CommandLine() string {
	if p.Stop {
		return "berth stop " + strings.Join(p.Targets, " ")
	}
	args := []string{"berth", "plan"}
	if p.Destroy {
		args[1] = "destroy"
	}
	if op := p.AccessoryOp; op != nil {
		args = []string{"berth", "accessory", op.Op, op.Name}
	}
	if p.Destination != "" {
		args = append([]string{"berth", "--destination", p.Destination}, args[1:]...)
	}
	for _, t := range p.Targets {
		args = append(args, "--target", t)
	}
	for _, x := range p.Excludes {
		args = append(args, "--exclude", x)
	}
	for _, x := range p.Replace {
		args = append(args, "--replace", x)
	}
	if p.NoHooks {
		args = append(args, "--no-hooks")
	}
	if p.IncludeAccessories {
		args = append(args, "--include-accessories")
	}
	if p.RemoveVolumes {
		args = append(args, "--remove-volumes")
	}
	return strings.Join(args, " ")
}

// Counts returns how many changes of each action the plan has.
func (p *Plan) Counts() (create, replace, remove, unchanged int) {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreate:
			create++
		case ActionReplace:
			replace++
		case ActionRemove:
			remove++
		case ActionUnchanged:
			unchanged++
		}
	}
	return
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	c, r, d, _ := p.Counts()
	s, rs := p.Stops()
	return c+r+d+s+rs > 0
}

// Stops returns how many containers the plan stops and restarts (berth
// accessory stop|restart).
func (p *Plan) Stops() (stop, restart int) {
	for _, c := range p.Changes {
		switch c.Action {
		case ActionStop:
			stop++
		case ActionRestart:
			restart++
		}
	}
	return
}

// VarArgs returns the plan's non-sensitive variables as "name=value"
// pairs, in the form of --var arguments: loading the configuration with
// them reproduces the plan's configuration (sensitive variables must come
// from the environment again; the config hash covers their hashes).
func (p *Plan) VarArgs() []string {
	var out []string
	for _, v := range p.Variables {
		if !v.Sensitive {
			out = append(out, v.Name+"="+v.Value)
		}
	}
	return out
}
