package dockerapi

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LogOptions select the log lines of LogStream.
type LogOptions struct {
	Since      time.Time // zero: from the start
	Tail       int       // <= 0: all
	Follow     bool      // keep streaming until the container stops or ctx ends
	Timestamps bool      // each line starts with an RFC 3339 timestamp and a space
}

// LogStream copies the logs of container id (stdout and stderr, demuxed)
// to w as the daemon sends them. With Follow it returns when the container
// stops (nil) or ctx ends (ctx.Err()).
func (c *Client) LogStream(ctx context.Context, id string, o LogOptions, w io.Writer) error {
	q := url.Values{"stdout": {"1"}, "stderr": {"1"}, "tail": {"all"}}
	if o.Tail > 0 {
		q.Set("tail", strconv.Itoa(o.Tail))
	}
	if !o.Since.IsZero() {
		q.Set("since", strconv.FormatFloat(float64(o.Since.UnixNano())/1e9, 'f', 9, 64))
	}
	if o.Follow {
		q.Set("follow", "1")
	}
	if o.Timestamps {
		q.Set("timestamps", "1")
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/containers/" + url.PathEscape(id) + "/logs", query: q})
	if err != nil {
		return c.wrap("logs", id, err)
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	err = c.readLogs(w, resp)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return c.wrap("logs", id, err)
}

// Wait waits for container id to meet condition ("not-running", the
// default when empty; "next-exit", to call before starting it; "removed")
// and returns its exit code.
func (c *Client) Wait(ctx context.Context, id, condition string) (int, error) {
	var r struct {
		StatusCode int `json:"StatusCode"`
		Error      *struct {
			Message string `json:"Message"`
		} `json:"Error"`
	}
	if condition == "" {
		condition = "not-running"
	}
	q := url.Values{"condition": {condition}}
	if err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/wait", query: q}, &r); err != nil {
		return -1, c.wrap("wait", id, err)
	}
	if r.Error != nil && r.Error.Message != "" {
		return r.StatusCode, c.wrap("wait", id, errors.New(r.Error.Message))
	}
	return r.StatusCode, nil
}

// ImageSummary is one entry of ListImages.
type ImageSummary struct {
	ID          string
	RepoTags    []string
	RepoDigests []string
	Created     time.Time
	Size        int64
}

// ListImages returns the daemon's images (not intermediate layers).
func (c *Client) ListImages(ctx context.Context) ([]ImageSummary, error) {
	var raw []struct {
		ID          string   `json:"Id"`
		RepoTags    []string `json:"RepoTags"`
		RepoDigests []string `json:"RepoDigests"`
		Created     int64    `json:"Created"`
		Size        int64    `json:"Size"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/images/json"}, &raw); err != nil {
		return nil, c.wrap("list images", "", err)
	}
	out := make([]ImageSummary, 0, len(raw))
	for _, r := range raw {
		out = append(out, ImageSummary{ID: r.ID, RepoTags: r.RepoTags, RepoDigests: r.RepoDigests, Created: time.Unix(r.Created, 0).UTC(), Size: r.Size})
	}
	return out, nil
}

// Mount is one mount of a container.
type Mount struct {
	Type        string // "volume", "bind", "tmpfs"
	Name        string // the volume's name (volumes only)
	Source      string
	Destination string
}

// Mounts returns the mounts of container id.
func (c *Client) Mounts(ctx context.Context, id string) ([]Mount, error) {
	var r struct {
		Mounts []struct {
			Type        string `json:"Type"`
			Name        string `json:"Name"`
			Source      string `json:"Source"`
			Destination string `json:"Destination"`
		} `json:"Mounts"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/containers/" + url.PathEscape(id) + "/json"}, &r); err != nil {
		return nil, c.wrap("inspect", id, err)
	}
	out := make([]Mount, 0, len(r.Mounts))
	for _, m := range r.Mounts {
		out = append(out, Mount{Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination})
	}
	return out, nil
}

// RemoveVolume removes volume name. A missing volume matches ErrNotFound;
// one still used by a container ErrConflict.
func (c *Client) RemoveVolume(ctx context.Context, name string) error {
	err := c.call(ctx, request{method: http.MethodDelete, path: "/volumes/" + url.PathEscape(name)}, nil)
	return c.wrap("remove volume", name, err)
}

// ResizeTTY sets the terminal size of container id (created with a TTY).
func (c *Client) ResizeTTY(ctx context.Context, id string, width, height int) error {
	q := url.Values{"w": {strconv.Itoa(width)}, "h": {strconv.Itoa(height)}}
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/resize", query: q}, nil)
	return c.wrap("resize", id, err)
}

// Attach attaches to container id's stdin, stdout and stderr before it is
// started, over a connection of its own that the daemon hijacks. The
// returned connection carries the raw stream: stdin written to it reaches
// the container; what is read is multiplexed (see Demux) unless the
// container has a TTY. Close it when done.
func (c *Client) Attach(ctx context.Context, id string) (net.Conn, *bufio.Reader, error) {
	v, err := c.APIVersion(ctx)
	if err != nil {
		return nil, nil, err
	}
	conn, err := c.hc.Transport.(*http.Transport).DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, nil, c.wrap("attach", id, err)
	}
	q := url.Values{"stream": {"1"}, "stdin": {"1"}, "stdout": {"1"}, "stderr": {"1"}}
	req := fmt.Sprintf("POST /v%s/containers/%s/attach?%s HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n",
		v, url.PathEscape(id), q.Encode())
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, nil, c.wrap("attach", id, err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, c.wrap("attach", id, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		conn.Close()
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &m) != nil || m.Message == "" {
			m.Message = strings.TrimSpace(string(b))
		}
		return nil, nil, c.wrap("attach", id, &APIError{Status: resp.StatusCode, Message: m.Message})
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, br, nil
}

// Demux copies a multiplexed stream (the stdout and stderr of a container
// without a TTY: 8-byte headers of stream type, three zero bytes and a
// big-endian payload size) until r ends: stdout frames to out, stderr
// frames to errw.
func Demux(out, errw io.Writer, r io.Reader) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if hdr[0] > 3 || hdr[1] != 0 || hdr[2] != 0 || hdr[3] != 0 {
			return fmt.Errorf("malformed stream header % x", hdr)
		}
		w := out
		if hdr[0] == 2 {
			w = errw
		}
		if _, err := io.CopyN(w, r, int64(binary.BigEndian.Uint32(hdr[4:]))); err != nil {
			return err
		}
	}
}
