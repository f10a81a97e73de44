package dockerapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrBuild is matched by a build that failed inside the daemon (a failing
// RUN, a missing file), as opposed to one that could not be sent.
var ErrBuild = errors.New("build failed")

// BuildOptions are the query of POST /build with BuildKit (version=2).
type BuildOptions struct {
	Tags       []string
	Dockerfile string // path inside the context
	Target     string
	Platform   string
	Args       map[string]string
	Labels     map[string]string
	CacheFrom  []string
	Session    string // the id of an open build session (secrets); "" = none
	Network    string // networkmode of RUN steps: "" (default), "none", "host"
}

// BuildEvent is one message of the build's stream: Trace is BuildKit's
// progress (base64 protobuf, see internal/buildkit), ImageID the result.
type BuildEvent struct {
	Trace   string
	ImageID string
}

func (o BuildOptions) query() url.Values {
	q := url.Values{"version": {"2"}, "rm": {"1"}, "forcerm": {"1"}}
	for _, t := range o.Tags {
		q.Add("t", t)
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("dockerfile", o.Dockerfile)
	set("target", o.Target)
	set("platform", o.Platform)
	set("session", o.Session)
	set("networkmode", o.Network)
	for k, m := range map[string]map[string]string{"buildargs": o.Args, "labels": o.Labels} {
		if len(m) > 0 {
			b, _ := json.Marshal(m)
			q.Set(k, string(b))
		}
	}
	if len(o.CacheFrom) > 0 {
		b, _ := json.Marshal(o.CacheFrom)
		q.Set("cachefrom", string(b))
	}
	return q
}

// Build sends the tar of a build context to POST /build and reads the
// daemon's stream to its end, handing each event to on. It returns the
// built image's ID; a failure inside the build matches ErrBuild.
func (c *Client) Build(ctx context.Context, tar io.Reader, o BuildOptions, on func(BuildEvent)) (string, error) {
	v, err := c.APIVersion(ctx)
	if err != nil {
		return "", c.wrap("build", "", err)
	}
	u := url.URL{Scheme: "http", Host: "docker", Path: "/v" + v + "/build", RawQuery: o.query().Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), tar)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-tar")
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", c.wrap("build", "", unwrapURL(err))
	}
	defer resp.Body.Close()
	c.log.Debug("docker api", "host", c.host, "method", "POST", "path", "/build", "status", resp.StatusCode, "took", time.Since(start))
	if resp.StatusCode != http.StatusOK {
		return "", c.wrap("build", "", readAPIError(resp))
	}
	return c.readBuild(resp.Body, on)
}

// readBuild reads a build's JSON stream.
func (c *Client) readBuild(r io.Reader, on func(BuildEvent)) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	for {
		var m struct {
			ID          string          `json:"id"`
			Aux         json.RawMessage `json:"aux"`
			Stream      string          `json:"stream"`
			Error       string          `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return id, nil
		} else if err != nil {
			return "", c.wrap("build", "", fmt.Errorf("reading the build's stream: %w", err))
		}
		if msg := streamError(m.Error, m.ErrorDetail); msg != "" {
			return "", c.wrap("build", "", fmt.Errorf("%w: %s", ErrBuild, msg))
		}
		switch m.ID {
		case "moby.buildkit.trace":
			var s string
			if json.Unmarshal(m.Aux, &s) == nil {
				on(BuildEvent{Trace: s})
			}
		case "moby.image.id":
			var img struct{ ID string }
			if json.Unmarshal(m.Aux, &img) == nil {
				id = img.ID
				on(BuildEvent{ImageID: id})
			}
		}
	}
}

func streamError(msg string, detail *struct {
	Message string `json:"message"`
}) string {
	if detail != nil && detail.Message != "" {
		return detail.Message
	}
	return msg
}

// readAPIError turns an error answer into *APIError.
func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &m) != nil || m.Message == "" {
		m.Message = strings.TrimSpace(string(b))
	}
	return &APIError{Status: resp.StatusCode, Message: m.Message}
}

// PushEvent is the progress of one layer of a push.
type PushEvent struct {
	Layer   string
	Status  string // "Pushing", "Pushed", "Layer already exists", ...
	Current int64
	Total   int64
}

// Push pushes ref (repository:tag) from the daemon to its registry and
// returns the digest of the pushed manifest.
func (c *Client) Push(ctx context.Context, ref string, auth *Auth, on func(PushEvent)) (string, error) {
	repo, tag, _ := SplitRef(ref)
	if tag == "" {
		tag = "latest"
	}
	a := &Auth{}
	if auth != nil {
		a = auth
	}
	r := request{method: http.MethodPost, path: "/images/" + repo + "/push", query: url.Values{"tag": {tag}},
		header: http.Header{"X-Registry-Auth": {a.header()}}}
	resp, err := c.do(ctx, r)
	if err != nil {
		return "", c.wrap("push", ref, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	var digest string
	for {
		var m struct {
			ID             string `json:"id"`
			Status         string `json:"status"`
			ProgressDetail struct {
				Current int64 `json:"current"`
				Total   int64 `json:"total"`
			} `json:"progressDetail"`
			Aux *struct {
				Digest string `json:"Digest"`
			} `json:"aux"`
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			return "", c.wrap("push", ref, fmt.Errorf("reading the progress stream: %w", err))
		}
		if msg := streamError(m.Error, m.ErrorDetail); msg != "" {
			return "", c.wrap("push", ref, errors.New(msg))
		}
		if m.Aux != nil && m.Aux.Digest != "" {
			digest = m.Aux.Digest
		}
		if m.ID != "" && on != nil {
			on(PushEvent{Layer: m.ID, Status: m.Status, Current: m.ProgressDetail.Current, Total: m.ProgressDetail.Total})
		}
	}
	if digest == "" {
		return "", c.wrap("push", ref, errors.New("the daemon reported no digest"))
	}
	return digest, nil
}

// SessionHeaders describe a BuildKit client session to the daemon.
type SessionHeaders struct {
	ID, Name, SharedKey string
	Methods             []string // gRPC methods the client serves
}

// OpenSession opens a build session (POST /session, upgraded to h2c): the
// returned connection is the one on which the daemon calls the client's
// gRPC methods. Closing it ends the session.
func (c *Client) OpenSession(ctx context.Context, s SessionHeaders) (net.Conn, error) {
	v, err := c.APIVersion(ctx)
	if err != nil {
		return nil, c.wrap("session", "", err)
	}
	conn, err := c.hc.Transport.(*http.Transport).DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, c.wrap("session", "", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "POST /v%s/session HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n", v)
	fmt.Fprintf(&b, "X-Docker-Expose-Session-Uuid: %s\r\nX-Docker-Expose-Session-Name: %s\r\nX-Docker-Expose-Session-Sharedkey: %s\r\n", s.ID, s.Name, s.SharedKey)
	for _, m := range s.Methods {
		fmt.Fprintf(&b, "X-Docker-Expose-Session-Grpc-Method: %s\r\n", m)
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, b.String()); err != nil {
		conn.Close()
		return nil, c.wrap("session", "", err)
	}
	resp, err := readUpgrade(conn)
	if err != nil {
		conn.Close()
		return nil, c.wrap("session", "", err)
	}
	_ = conn.SetDeadline(time.Time{})
	return resp, nil
}
