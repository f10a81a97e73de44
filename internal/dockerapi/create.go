package dockerapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Creating a container: the spec berth gives and the request body of
// POST /containers/create.

// CreateSpec describes a container to create.
type CreateSpec struct {
	Image         string
	Cmd           []string // nil = the image's
	Env           []string // "K=V"; may hold secrets: never logged
	Labels        map[string]string
	Ports         []Port
	Binds         []string // "src:dst[:ro]"
	Healthcheck   *HealthConfig
	StopTimeout   time.Duration // 0 = the daemon's default
	StopSignal    string        // "" = the image's STOPSIGNAL
	RestartPolicy string        // "", "no", "always", "unless-stopped", "on-failure"
	// RestartRetries is the most restarts of an "on-failure" policy; 0 = no limit.
	RestartRetries int
	Network        string   // "" = the default bridge
	Aliases        []string // DNS names of the container on Network
	// Resources and the rest of the container's Docker options; the zero
	// value of each is Docker's default.
	Memory, MemoryReservation, ShmSize int64 // bytes
	NanoCPUs                           int64
	PidsLimit                          int64
	User, WorkingDir, Hostname         string
	Entrypoint                         []string // nil = the image's
	Init, ReadOnly                     bool
	ExtraHosts, CapAdd, CapDrop        []string
	SecurityOpt                        []string
	Devices                            []Device
	Sysctls                            map[string]string
	Ulimits                            []Ulimit
	Tmpfs                              map[string]string // path -> mount options
	LogDriver                          string
	LogOptions                         map[string]string
	// AutoRemove: the daemon removes the container when it exits (one-off runs).
	AutoRemove bool
	// Tty gives the container a terminal; OpenStdin keeps its stdin open for
	// an attached client (closed when that client detaches).
	Tty, OpenStdin bool
}

// Device is a host device made available in the container.
type Device struct {
	PathOnHost        string `json:"PathOnHost"`
	PathInContainer   string `json:"PathInContainer"`
	CgroupPermissions string `json:"CgroupPermissions"`
}

// Ulimit is a resource limit of the container's processes.
type Ulimit struct {
	Name string `json:"Name"`
	Soft int64  `json:"Soft"`
	Hard int64  `json:"Hard"`
}

// Port publishes ContainerPort on the host.
type Port struct {
	HostIP        string
	HostPort      int
	ContainerPort int
	Protocol      string // "tcp" (default) or "udp"
}

// HealthConfig is a container health check. Test is in the API's form:
// {"CMD", argv...} (no shell), {"CMD-SHELL", "command"} or {"NONE"}.
type HealthConfig struct {
	Test        []string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
}

type createJSON struct {
	Image        string              `json:"Image"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	User         string              `json:"User,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Hostname     string              `json:"Hostname,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Healthcheck  *healthJSON         `json:"Healthcheck,omitempty"`
	StopTimeout  *int                `json:"StopTimeout,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	Tty          bool                `json:"Tty,omitempty"`
	OpenStdin    bool                `json:"OpenStdin,omitempty"`
	StdinOnce    bool                `json:"StdinOnce,omitempty"`
	AttachStdin  bool                `json:"AttachStdin,omitempty"`
	AttachStdout bool                `json:"AttachStdout,omitempty"`
	AttachStderr bool                `json:"AttachStderr,omitempty"`
	HostConfig   hostConfigJSON      `json:"HostConfig"`
	// NetworkingConfig gives the aliases on the network of NetworkMode.
	NetworkingConfig *networkingJSON `json:"NetworkingConfig,omitempty"`
}

type healthJSON struct {
	Test        []string `json:"Test"`
	Interval    int64    `json:"Interval,omitempty"`
	Timeout     int64    `json:"Timeout,omitempty"`
	StartPeriod int64    `json:"StartPeriod,omitempty"`
	Retries     int      `json:"Retries,omitempty"`
}

type hostConfigJSON struct {
	Binds             []string                 `json:"Binds,omitempty"`
	PortBindings      map[string][]portBinding `json:"PortBindings,omitempty"`
	RestartPolicy     *restartJSON             `json:"RestartPolicy,omitempty"`
	NetworkMode       string                   `json:"NetworkMode,omitempty"`
	AutoRemove        bool                     `json:"AutoRemove,omitempty"`
	Memory            int64                    `json:"Memory,omitempty"`
	MemoryReservation int64                    `json:"MemoryReservation,omitempty"`
	NanoCPUs          int64                    `json:"NanoCpus,omitempty"`
	PidsLimit         int64                    `json:"PidsLimit,omitempty"`
	Init              *bool                    `json:"Init,omitempty"`
	ReadonlyRootfs    bool                     `json:"ReadonlyRootfs,omitempty"`
	ExtraHosts        []string                 `json:"ExtraHosts,omitempty"`
	CapAdd            []string                 `json:"CapAdd,omitempty"`
	CapDrop           []string                 `json:"CapDrop,omitempty"`
	SecurityOpt       []string                 `json:"SecurityOpt,omitempty"`
	Devices           []Device                 `json:"Devices,omitempty"`
	Sysctls           map[string]string        `json:"Sysctls,omitempty"`
	Ulimits           []Ulimit                 `json:"Ulimits,omitempty"`
	ShmSize           int64                    `json:"ShmSize,omitempty"`
	Tmpfs             map[string]string        `json:"Tmpfs,omitempty"`
	LogConfig         *logConfigJSON           `json:"LogConfig,omitempty"`
}

type restartJSON struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount,omitempty"`
}

type logConfigJSON struct {
	Type   string            `json:"Type"`
	Config map[string]string `json:"Config,omitempty"`
}

type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

func (s CreateSpec) body() createJSON {
	b := createJSON{Image: s.Image, Cmd: s.Cmd, Env: s.Env, Labels: s.Labels, StopSignal: s.StopSignal,
		Entrypoint: s.Entrypoint, User: s.User, WorkingDir: s.WorkingDir, Hostname: s.Hostname}
	for _, p := range s.Ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		key := strconv.Itoa(p.ContainerPort) + "/" + proto
		if b.ExposedPorts == nil {
			b.ExposedPorts = map[string]struct{}{}
			b.HostConfig.PortBindings = map[string][]portBinding{}
		}
		b.ExposedPorts[key] = struct{}{}
		b.HostConfig.PortBindings[key] = append(b.HostConfig.PortBindings[key], portBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.HostPort)})
	}
	if h := s.Healthcheck; h != nil {
		b.Healthcheck = &healthJSON{Test: h.Test, Interval: int64(h.Interval), Timeout: int64(h.Timeout), StartPeriod: int64(h.StartPeriod), Retries: h.Retries}
	}
	if s.StopTimeout > 0 {
		secs := int((s.StopTimeout + time.Second - 1) / time.Second)
		b.StopTimeout = &secs
	}
	b.HostConfig.Binds = s.Binds
	if s.RestartPolicy != "" {
		b.HostConfig.RestartPolicy = &restartJSON{Name: s.RestartPolicy, MaximumRetryCount: s.RestartRetries}
	}
	b.HostConfig.NetworkMode = s.Network
	b.NetworkingConfig = s.networking()
	b.HostConfig.AutoRemove = s.AutoRemove
	s.hostOptions(&b.HostConfig)
	b.Tty = s.Tty
	if s.OpenStdin {
		b.OpenStdin, b.StdinOnce, b.AttachStdin = true, true, true
		b.AttachStdout, b.AttachStderr = true, true
	}
	return b
}

// Create creates (does not start) container name. A name already taken
// gives an error matching ErrConflict; a missing image one matching ErrNotFound.
func (c *Client) Create(ctx context.Context, name string, spec CreateSpec) (string, error) {
	var r struct {
		ID string `json:"Id"`
	}
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/create", query: url.Values{"name": {name}}, body: spec.body()}, &r)
	if err != nil {
		return "", c.wrap("create", name, err)
	}
	return r.ID, nil
}

// hostOptions fills the resource and security options of the host config.
func (s CreateSpec) hostOptions(h *hostConfigJSON) {
	h.Memory, h.MemoryReservation, h.ShmSize = s.Memory, s.MemoryReservation, s.ShmSize
	h.NanoCPUs, h.PidsLimit = s.NanoCPUs, s.PidsLimit
	if s.Init {
		h.Init = &s.Init
	}
	h.ReadonlyRootfs = s.ReadOnly
	h.ExtraHosts, h.CapAdd, h.CapDrop, h.SecurityOpt = s.ExtraHosts, s.CapAdd, s.CapDrop, s.SecurityOpt
	h.Devices, h.Sysctls, h.Ulimits, h.Tmpfs = s.Devices, s.Sysctls, s.Ulimits, s.Tmpfs
	if s.LogDriver != "" {
		h.LogConfig = &logConfigJSON{Type: s.LogDriver, Config: s.LogOptions}
	}
}
