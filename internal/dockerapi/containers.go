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
