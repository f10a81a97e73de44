package dockerapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ContainerSummary is one entry of List.
type ContainerSummary struct {
	ID      string
	Name    string // without the leading slash
	Image   string // the reference it was created from
	ImageID string
	Labels  map[string]string
	State   string // created, running, paused, restarting, removing, exited, dead
	Health  string // "healthy", "unhealthy", "starting" or "" (no health check)
	Created time.Time
}

type summaryJSON struct {
	ID      string            `json:"Id"`
	Names   []string          `json:"Names"`
	Image   string            `json:"Image"`
	ImageID string            `json:"ImageID"`
	Labels  map[string]string `json:"Labels"`
	State   string            `json:"State"`
	Status  string            `json:"Status"`
	Created int64             `json:"Created"`
}

// List returns every container (running or not) matching filters, e.g.
// {"label": {"berth.service=shop"}}, in one request.
func (c *Client) List(ctx context.Context, filters map[string][]string) ([]ContainerSummary, error) {
	q := url.Values{"all": {"1"}}
	if len(filters) > 0 {
		f, err := json.Marshal(filters)
		if err != nil {
			return nil, err
		}
		q.Set("filters", string(f))
	}
	var raw []summaryJSON
	if err := c.call(ctx, request{method: http.MethodGet, path: "/containers/json", query: q}, &raw); err != nil {
		return nil, c.wrap("list containers", "", err)
	}
	out := make([]ContainerSummary, 0, len(raw))
	for _, r := range raw {
		s := ContainerSummary{
			ID: r.ID, Image: r.Image, ImageID: r.ImageID, Labels: r.Labels, State: r.State,
			Health: healthFromStatus(r.Status), Created: time.Unix(r.Created, 0).UTC(),
		}
		if len(r.Names) > 0 {
			s.Name = strings.TrimPrefix(r.Names[0], "/")
		}
		out = append(out, s)
	}
	return out, nil
}

// healthFromStatus reads the health out of a status such as
// "Up 3 minutes (healthy)" or "Up 2 seconds (health: starting)".
func healthFromStatus(status string) string {
	switch {
	case strings.Contains(status, "(healthy)"):
		return "healthy"
	case strings.Contains(status, "(unhealthy)"):
		return "unhealthy"
	case strings.Contains(status, "(health: starting)"):
		return "starting"
	}
	return ""
}

// ContainerInfo is what Inspect tells about a container.
type ContainerInfo struct {
	ID      string
	Name    string // without the leading slash
	Image   string // the reference it was created from
	ImageID string
	Labels  map[string]string
	State   State
	// HasHealthcheck: a health check is configured (by the container or its
	// image) and is not disabled with NONE.
	HasHealthcheck bool
	IPAddress      string // the first network's address (networks sorted by name)
	RestartCount   int
	// StopSignal is the container's own stop signal (its image's STOPSIGNAL
	// unless set at create); "" means SIGTERM.
	StopSignal string
	// OOMKilled: the kernel killed the container for lack of memory.
	OOMKilled bool
}

// State is a container's run state.
type State struct {
	Status     string
	Running    bool
	ExitCode   int
	Error      string
	StartedAt  time.Time // zero if never started
	FinishedAt time.Time // zero if never finished
	Health     *Health   // nil without a health check
}

// Health is the daemon's record of a container's health checks.
type Health struct {
	Status        string // starting, healthy, unhealthy
	FailingStreak int
	Log           []HealthLog // oldest first; the daemon keeps the last 5
}

// HealthLog is one health check run.
type HealthLog struct {
	ExitCode int
	Output   string
	Start    time.Time
	End      time.Time
}

type inspectJSON struct {
	ID           string `json:"Id"`
	Name         string `json:"Name"`
	Image        string `json:"Image"`
	RestartCount int    `json:"RestartCount"`
	State        struct {
		Status     string `json:"Status"`
		Running    bool   `json:"Running"`
		OOMKilled  bool   `json:"OOMKilled"`
		ExitCode   int    `json:"ExitCode"`
		Error      string `json:"Error"`
		StartedAt  string `json:"StartedAt"`
		FinishedAt string `json:"FinishedAt"`
		Health     *struct {
			Status        string `json:"Status"`
			FailingStreak int    `json:"FailingStreak"`
			Log           []struct {
				Start    string `json:"Start"`
				End      string `json:"End"`
				ExitCode int    `json:"ExitCode"`
				Output   string `json:"Output"`
			} `json:"Log"`
		} `json:"Health"`
	} `json:"State"`
	Config struct {
		Image       string            `json:"Image"`
		Labels      map[string]string `json:"Labels"`
		StopSignal  string            `json:"StopSignal"`
		Healthcheck *struct {
			Test []string `json:"Test"`
		} `json:"Healthcheck"`
	} `json:"Config"`
	NetworkSettings struct {
		IPAddress string `json:"IPAddress"`
		Networks  map[string]struct {
			IPAddress string `json:"IPAddress"`
		} `json:"Networks"`
	} `json:"NetworkSettings"`
}

// Inspect returns the details of container id (an ID or a name).
func (c *Client) Inspect(ctx context.Context, id string) (ContainerInfo, error) {
	var r inspectJSON
	if err := c.call(ctx, request{method: http.MethodGet, path: "/containers/" + url.PathEscape(id) + "/json"}, &r); err != nil {
		return ContainerInfo{}, c.wrap("inspect", id, err)
	}
	info := ContainerInfo{
		ID: r.ID, Name: strings.TrimPrefix(r.Name, "/"), Image: r.Config.Image, ImageID: r.Image,
		Labels: r.Config.Labels, RestartCount: r.RestartCount, StopSignal: r.Config.StopSignal, OOMKilled: r.State.OOMKilled,
		HasHealthcheck: r.Config.Healthcheck != nil && len(r.Config.Healthcheck.Test) > 0 && r.Config.Healthcheck.Test[0] != "NONE",
		State: State{
			Status: r.State.Status, Running: r.State.Running, ExitCode: r.State.ExitCode, Error: r.State.Error,
			StartedAt: parseTime(r.State.StartedAt), FinishedAt: parseTime(r.State.FinishedAt),
		},
	}
	if h := r.State.Health; h != nil {
		info.State.Health = &Health{Status: h.Status, FailingStreak: h.FailingStreak}
		for _, l := range h.Log {
			info.State.Health.Log = append(info.State.Health.Log, HealthLog{
				ExitCode: l.ExitCode, Output: l.Output, Start: parseTime(l.Start), End: parseTime(l.End)})
		}
	}
	names := make([]string, 0, len(r.NetworkSettings.Networks))
	for n := range r.NetworkSettings.Networks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if ip := r.NetworkSettings.Networks[n].IPAddress; ip != "" {
			info.IPAddress = ip
			break
		}
	}
	if info.IPAddress == "" {
		info.IPAddress = r.NetworkSettings.IPAddress
	}
	return info, nil
}

// parseTime reads the daemon's RFC 3339 times; its "never" is year 1.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

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

// Start starts container id; an already running container is no error.
func (c *Client) Start(ctx context.Context, id string) error {
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/start"}, nil)
	return c.wrap("start", id, err)
}

// Stop stops container id, killing it after timeout; an already stopped
// container is no error.
func (c *Client) Stop(ctx context.Context, id string, timeout time.Duration) error {
	q := url.Values{"t": {strconv.Itoa(int((timeout + time.Second - 1) / time.Second))}}
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/stop", query: q}, nil)
	return c.wrap("stop", id, err)
}

// Kill sends signal ("SIGTERM", ...) to container id's main process. A
// container that is not running gives an error matching ErrNotRunning.
func (c *Client) Kill(ctx context.Context, id, signal string) error {
	q := url.Values{"signal": {signal}}
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/kill", query: q}, nil)
	return c.wrap("kill", id, err)
}

// Remove removes container id (force: even if it runs). Anonymous volumes
// are kept. A missing container gives an error matching ErrNotFound.
func (c *Client) Remove(ctx context.Context, id string, force bool) error {
	q := url.Values{}
	if force {
		q.Set("force", "1")
	}
	err := c.call(ctx, request{method: http.MethodDelete, path: "/containers/" + url.PathEscape(id), query: q}, nil)
	return c.wrap("remove", id, err)
}

// Rename renames container id to name; a name already taken gives an
// error matching ErrConflict.
func (c *Client) Rename(ctx context.Context, id, name string) error {
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/rename", query: url.Values{"name": {name}}}, nil)
	return c.wrap("rename", id+" to "+name, err)
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
