package dockerapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ExecConfig is a command to run in a running container (docker exec).
type ExecConfig struct {
	Cmd []string // an argv, no shell
	// Stdin attaches the caller's input; Tty gives the command a terminal
	// (then its output is one raw stream, not stdout and stderr).
	Stdin, Tty bool
	Env        []string // "K=V" added to the container's own
}

// ExecCreate prepares cmd in running container id and returns the exec's ID.
func (c *Client) ExecCreate(ctx context.Context, id string, e ExecConfig) (string, error) {
	var created struct {
		ID string `json:"Id"`
	}
	body := map[string]any{"AttachStdout": true, "AttachStderr": true, "AttachStdin": e.Stdin, "Tty": e.Tty, "Cmd": e.Cmd}
	if len(e.Env) > 0 {
		body["Env"] = e.Env
	}
	if err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/exec", body: body}, &created); err != nil {
		return "", c.wrap("exec", id, err)
	}
	return created.ID, nil
}

// ExecStart starts exec execID and hands over its streams: what is
// written to the connection reaches the command's stdin, what is read
// from the reader is its output (multiplexed, see Demux, unless tty).
// Close the connection when done.
func (c *Client) ExecStart(ctx context.Context, execID string, tty bool) (net.Conn, io.Reader, error) {
	body, err := json.Marshal(map[string]any{"Detach": false, "Tty": tty})
	if err != nil {
		return nil, nil, err
	}
	conn, r, err := c.hijack(ctx, "/exec/"+url.PathEscape(execID)+"/start", nil, body)
	if err != nil {
		return nil, nil, c.wrap("exec start", execID, err)
	}
	return conn, r, nil
}

// ExecResize sets the terminal size of exec execID (started with a TTY).
func (c *Client) ExecResize(ctx context.Context, execID string, width, height int) error {
	q := url.Values{"w": {strconv.Itoa(width)}, "h": {strconv.Itoa(height)}}
	err := c.call(ctx, request{method: http.MethodPost, path: "/exec/" + url.PathEscape(execID) + "/resize", query: q}, nil)
	return c.wrap("exec resize", execID, err)
}

// ExecInspect says whether exec execID still runs, and its exit code once not.
func (c *Client) ExecInspect(ctx context.Context, execID string) (running bool, code int, err error) {
	var r struct {
		Running  bool `json:"Running"`
		ExitCode int  `json:"ExitCode"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/exec/" + url.PathEscape(execID) + "/json"}, &r); err != nil {
		return false, -1, c.wrap("exec inspect", execID, err)
	}
	return r.Running, r.ExitCode, nil
}

// hijack sends a POST that the daemon upgrades to a raw stream, over a
// connection of its own, and returns the connection and the stream's
// reader: the connection's own after a 101, the body after a plain 200.
func (c *Client) hijack(ctx context.Context, path string, q url.Values, body []byte) (net.Conn, io.Reader, error) {
	v, err := c.APIVersion(ctx)
	if err != nil {
		return nil, nil, err
	}
	conn, err := c.hc.Transport.(*http.Transport).DialContext(ctx, "unix", c.socket)
	if err != nil {
		return nil, nil, err
	}
	target := "/v" + v + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", target, len(body))
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, req+string(body)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
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
		return nil, nil, &APIError{Status: resp.StatusCode, Message: m.Message}
	}
	_ = conn.SetDeadline(time.Time{})
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return conn, br, nil
	}
	return conn, resp.Body, nil
}
