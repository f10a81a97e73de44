package lang

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Config is the decoded, evaluated and validated configuration: plain Go
// data, no hcl or cty types. The planner and the executor consume only this.
type Config struct {
	// Dir is the configuration directory; Files the *.hcl files read, sorted.
	Dir   string
	Files []string
	// Hash identifies the configuration: the files' contents and the values
	// of every variable (sensitive ones by hash only). "sha256:<hex>".
	Hash string

	Service Service
	// Destination is the --destination the configuration was loaded for
	// ("" = none): its override files are part of Files.
	Destination string
	Version     Version
	Registry    *Registry // nil when the configuration has no registry block
	SSH         SSH
	Hosts       []Host      // declaration order
	Roles       []Role      // the primary role first, then declaration order
	Accessories []Accessory // declaration order
	Deploy      Deploy
	Variables   []Variable // sorted by name
	// Proxy is the top-level proxy block with defaults applied; zero when
	// there is neither that block nor a role with a proxy block.
	Proxy Proxy
	// Aliases are the alias blocks: commands of the configuration's own.
	Aliases []Alias
}

// Service is the `service "NAME"` block.
type Service struct {
	Name  string
	Image string // repository without tag, e.g. "10.77.0.1:5000/shop"
	// Network is service.network as written ("" = the default,
	// "berth-SERVICE"); Config.Network gives the one in effect.
	Network string
	// Takeover is the service's takeover block; nil without one.
	Takeover *Takeover
	// Build is the service's build block: berth builds Image from source
	// (nil = the image is built elsewhere).
	Build *Build
}

// Version is the version being deployed and where it came from.
type Version struct {
	Full   string // the tag, e.g. "v2" or "3f2a9c1-dirty"
	Short  string // abbreviated form used in container names
	Source string // "deploy.version", "var.version" or "git"
}

// Registry holds the credentials of the image registry.
type Registry struct {
	Server   string
	Username string
	Password Secret
	// Insecure allows plain http to this registry, like dockerd's
	// --insecure-registry (the lab's registry speaks plain http).
	Insecure bool
	// Local is `registry { local = true }`: berth runs the registry next to
	// the builder on 127.0.0.1:Port, and hosts pull through a port forwarded
	// over their SSH connection. Server is then "127.0.0.1:PORT".
	Local bool
	Port  int
}

// SSH holds the connection settings shared by every host.
type SSH struct {
	User           string        // default "root"
	Port           int           // default 22
	Identity       string        // path, "~" expanded; "" = agent only
	KnownHosts     string        // path, "~" expanded; default ~/.ssh/known_hosts
	HostKeyPolicy  string        // "strict" (default) or "accept-new"
	ProxyJump      string        // "[user@]host[:port]" or ""
	ConnectTimeout time.Duration // default 10s
	CommandTimeout time.Duration // default 5m
}

// Host is a `host "NAME"` block, resolved through the OpenSSH config (its
// address as a Host alias). Each setting is zero when it comes from SSH.
type Host struct {
	Name       string
	Address    string // the host block's, or the OpenSSH config's HostName for it
	User       string
	Port       int
	Identity   string // from the OpenSSH config's IdentityFile
	KnownHosts string // from its UserKnownHostsFile
	ProxyJump  string // from its ProxyJump
}

// Role is a `role "NAME"` block.
type Role struct {
	Name        string
	Primary     bool
	Hosts       []string // host names; the first is the role's primary host
	Cmd         []string // nil = the image's own
	Ports       []Port
	Env         map[string]string
	SecretEnv   map[string]Secret
	Volumes     []string // "host-path-or-volume:container-path[:ro]"
	Labels      map[string]string
	Healthcheck *Healthcheck // nil = the image's HEALTHCHECK, else "running"
	Proxy       *RoleProxy   // nil = not behind the proxy
	Stop        Stop
	Options     RunOptions
	// DependsOn are the accessories whose new container must be healthy
	// before this role cuts over; nil = every accessory of the service.
	DependsOn []string
}

// Depends reports whether the role waits for accessory acc.
func (r *Role) Depends(acc string) bool {
	if r.DependsOn == nil {
		return true
	}
	for _, a := range r.DependsOn {
		if a == acc {
			return true
		}
	}
	return false
}

// Stop is how a role's or accessory's containers are stopped. Both are
// given at stop time, so changing them replaces no container.
type Stop struct {
	Signal  string        // "SIGTERM", "SIGQUIT", ...; "" = the image's STOPSIGNAL, else SIGTERM
	Timeout time.Duration // how long to wait for the signal to end the container before it is killed; deploy.stop_timeout unless set
}

// Healthcheck is a role's `healthcheck` block. Exactly one of Cmd, Shell and
// HTTP is set, or none (the image's own HEALTHCHECK, else running for
// Deploy.ReadinessDelay).
type Healthcheck struct {
	Cmd      []string   // run WITHOUT a shell (docker exec argv)
	Shell    string     // run with /bin/sh -c
	HTTP     *HTTPCheck // polled by berth through the SSH connection
	Interval time.Duration
	Retries  int
	Deadline time.Duration
	// SteadyInterval is how often Docker runs the check once the deploy is
	// over; 0 = DefaultSteadyInterval. Interval is the deploy's probe.
	SteadyInterval time.Duration
}

// ProbeInterval is how often a deploy probes a new container without a
// healthcheck block of its own (its running state, the image's HEALTHCHECK)
// and a proxied role's target; a healthcheck block's interval defaults to it.
const ProbeInterval = time.Second

// DefaultSteadyInterval is Docker's health check interval when
// healthcheck.steady_interval is not set.
const DefaultSteadyInterval = 30 * time.Second

// HTTPCheck is polled by berth itself: GET http://CONTAINER:Port/Path must answer 2xx.
type HTTPCheck struct {
	Path string
	Port int
}

// Port is a published port mapping "[ip:]host:container[/proto]".
type Port struct {
	HostIP        string
	HostPort      int
	ContainerPort int
	Protocol      string // "tcp" (default) or "udp"
}

// MarshalText is the port's "[ip:]host:container[/udp]" form, as plans,
// plan files and container labels hold it.
func (p Port) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads the form MarshalText writes.
func (p *Port) UnmarshalText(b []byte) error {
	q, err := parsePort(string(b))
	if err != nil {
		return fmt.Errorf("port mapping %q: %w", b, err)
	}
	*p = q
	return nil
}

func (p Port) String() string {
	s := strconv.Itoa(p.HostPort) + ":" + strconv.Itoa(p.ContainerPort)
	if p.HostIP != "" {
		s = p.HostIP + ":" + s
	}
	if p.Protocol != "" && p.Protocol != "tcp" {
		s += "/" + p.Protocol
	}
	return s
}

// Accessory is an `accessory "NAME"` block: a long-lived companion (database,
// cache) pinned by its own image tag and left alone by app deploys unless
// its own configuration changed.
type Accessory struct {
	Name      string
	Image     string   // full reference with tag, e.g. "10.77.0.1:5000/cache:7"
	Hosts     []string // host names (`host = host.h3` gives one)
	Cmd       []string
	Ports     []Port
	Env       map[string]string
	SecretEnv map[string]Secret
	Volumes   []string
	Labels    map[string]string
	Stop      Stop
	Options   RunOptions
	// Healthcheck is nil for the image's HEALTHCHECK, else "running".
	Healthcheck *Healthcheck
	// Proxy routes the accessory through the host's kamal-proxy (an admin
	// UI, a docs site); nil = not behind the proxy.
	Proxy *RoleProxy
}

// OnFailure is what an apply does with the hosts that already moved when
// a step fails after the barrier opened.
type OnFailure string

// The values of deploy.on_failure.
const (
	OnFailureStop     OnFailure = "stop"     // leave them on the new version; the next plan shows the rest
	OnFailureRollback OnFailure = "rollback" // return them to their previous containers
)

// Deploy is the `deploy` block with every default applied.
type Deploy struct {
	Parallelism    int           // default 10
	ParallelismSet bool          // deploy.parallelism is given (else berth may choose by fleet size)
	Batch          int           // hosts per rolling batch; 0 = all at once
	Retain         int           // old stopped containers kept per role and host; default 3
	StopTimeout    time.Duration // default 10s
	OnFailure      OnFailure     // OnFailureStop (default) or OnFailureRollback
	ReadinessDelay time.Duration // a role without any health check is healthy after running this long; default 3s
	BarrierTimeout time.Duration // how long waiting roles wait for the barrier; default 5m
	HookTimeout    time.Duration // how long a hook of .berth/hooks may run; default 5m
}

// Variable is the final value of a `variable` block, as recorded in a plan.
type Variable struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"` // rendered value; empty when sensitive
	Sensitive bool   `json:"sensitive,omitempty"`
	Hash      string `json:"hash,omitempty"` // set only when sensitive
}

// Secret is a sensitive string. It never prints its value: fmt, %v, %#v,
// JSON and text marshalling all give "(sensitive)". Only Value returns it.
type Secret struct {
	ref   string
	value string
}

// NewSecret wraps value; ref says where it came from, e.g. `env("DB_PASSWORD")`.
func NewSecret(ref, value string) Secret { return Secret{ref: ref, value: value} }

// Ref says where the secret came from; safe to print.
func (s Secret) Ref() string { return s.ref }

// Value returns the secret itself. Call it only to hand it to a host.
func (s Secret) Value() string { return s.value }

// Hash is a salted digest of the value: it shows that a secret changed
// without showing it. "sha256:<hex>"; "" for an empty secret.
func (s Secret) Hash(salt string) string {
	if s.value == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("berth-secret\x00" + salt + "\x00" + s.value))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (s Secret) String() string                { return "(sensitive)" }
func (s Secret) GoString() string              { return "(sensitive)" }
func (s Secret) MarshalText() ([]byte, error)  { return []byte("(sensitive)"), nil }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte("(sensitive)")) }
func (s Secret) MarshalJSON() ([]byte, error)  { return []byte(`"(sensitive)"`), nil }
func (s *Secret) UnmarshalJSON(_ []byte) error { *s = Secret{}; return nil }
func (s *Secret) UnmarshalText(_ []byte) error { *s = Secret{}; return nil }

// StateName is the name under which the service's deploy lock and audit
// log are kept on the hosts: the service's name, or SERVICE@DESTINATION
// (no service name has an "@").
func (c *Config) StateName() string {
	if c.Destination == "" {
		return c.Service.Name
	}
	return c.Service.Name + "@" + c.Destination
}

// PrimaryRole returns the primary role (always Roles[0] of a valid config).
func (c *Config) PrimaryRole() *Role {
	for i := range c.Roles {
		if c.Roles[i].Primary {
			return &c.Roles[i]
		}
	}
	return nil
}

// Proxied reports whether any role or accessory runs behind the proxy on
// host ("" = any host).
func (c *Config) Proxied(host string) bool {
	for _, a := range c.Accessories {
		if a.Proxy != nil && (host == "" || slices.Contains(a.Hosts, host)) {
			return true
		}
	}
	for _, r := range c.Roles {
		if r.Proxy == nil {
			continue
		}
		for _, h := range r.Hosts {
			if host == "" || h == host {
				return true
			}
		}
	}
	return false
}

// Host returns the host named name, or nil.
func (c *Config) Host(name string) *Host {
	for i := range c.Hosts {
		if c.Hosts[i].Name == name {
			return &c.Hosts[i]
		}
	}
	return nil
}
