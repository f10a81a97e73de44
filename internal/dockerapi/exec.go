package dockerapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxOutput bounds what Exec and Logs keep in memory.
const maxOutput = 1 << 20

// Exec runs cmd (an argv, no shell) in running container id and returns
// its exit code and its stdout and stderr, interleaved as written.
func (c *Client) Exec(ctx context.Context, id string, cmd []string) (int, []byte, error) {
	var created struct {
		ID string `json:"Id"`
	}
	body := map[string]any{"AttachStdout": true, "AttachStderr": true, "Cmd": cmd}
	if err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + url.PathEscape(id) + "/exec", body: body}, &created); err != nil {
		return -1, nil, c.wrap("exec", id, err)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/exec/" + created.ID + "/start", body: map[string]any{"Detach": false, "Tty": false}})
	if err != nil {
		return -1, nil, c.wrap("exec", id, err)
	}
	var out bytes.Buffer
	err = demux(&limitWriter{w: &out, n: maxOutput}, resp.Body)
	resp.Body.Close()
	if err != nil {
		return -1, out.Bytes(), c.wrap("exec", id, fmt.Errorf("reading output: %w", err))
	}
	var inspected struct {
		Running  bool `json:"Running"`
		ExitCode int  `json:"ExitCode"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/exec/" + created.ID + "/json"}, &inspected); err != nil {
		return -1, out.Bytes(), c.wrap("exec", id, err)
	}
	return inspected.ExitCode, out.Bytes(), nil
}

// Logs returns the last tail lines (all when tail <= 0) of stdout and
// stderr of container id.
func (c *Client) Logs(ctx context.Context, id string, tail int) ([]byte, error) {
	q := url.Values{"stdout": {"1"}, "stderr": {"1"}, "tail": {"all"}}
	if tail > 0 {
		q.Set("tail", strconv.Itoa(tail))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/containers/" + url.PathEscape(id) + "/logs", query: q})
	if err != nil {
		return nil, c.wrap("logs", id, err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if err := c.readLogs(&limitWriter{w: &out, n: maxOutput}, resp); err != nil {
		return out.Bytes(), c.wrap("logs", id, err)
	}
	return out.Bytes(), nil
}

// LogsFollow copies the logs of container id written since since (all
// when zero) to w until the container stops (nil) or ctx ends (ctx.Err()).
func (c *Client) LogsFollow(ctx context.Context, id string, since time.Time, w io.Writer) error {
	q := url.Values{"stdout": {"1"}, "stderr": {"1"}, "follow": {"1"}}
	if !since.IsZero() {
		q.Set("since", strconv.FormatInt(since.Unix(), 10))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/containers/" + url.PathEscape(id) + "/logs", query: q})
	if err != nil {
		return c.wrap("logs", id, err)
	}
	defer resp.Body.Close()
	err = c.readLogs(w, resp)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return c.wrap("logs", id, err)
}

// readLogs copies a logs answer: multiplexed unless the container has a TTY.
func (c *Client) readLogs(w io.Writer, resp *http.Response) error {
	if resp.Header.Get("Content-Type") == "application/vnd.docker.raw-stream" {
		_, err := io.Copy(w, resp.Body)
		return err
	}
	return demux(w, resp.Body)
}

// demux copies a multiplexed stream to w, stdout and stderr alike.
func demux(w io.Writer, r io.Reader) error { return Demux(w, w, r) }

// limitWriter keeps the first n bytes and discards the rest.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	k := min(len(p), l.n)
	l.n -= k
	if _, err := l.w.Write(p[:k]); err != nil {
		return 0, err
	}
	return len(p), nil
}
