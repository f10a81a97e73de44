package executor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// imageHealthDeadline bounds the wait for an image's own HEALTHCHECK when
// the configuration sets no health check (the plan's deadline is then the
// readiness delay).
const imageHealthDeadline = 60 * time.Second

// HealthError says why a new container never turned healthy, with what its
// check printed and its last log lines.
type HealthError struct {
	Address   planner.Address
	Container string
	Reason    string // "exited with code 1", "unhealthy", "deadline 30s passed"
	Output    string // the last health check output
	Logs      string // the container's last log lines
}

func (e *HealthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: new container %s did not turn healthy: %s", e.Address, e.Container, e.Reason)
	if o := strings.TrimSpace(e.Output); o != "" {
		fmt.Fprintf(&b, "\n  health check output:\n%s", indent(o, "    "))
	}
	if l := strings.TrimSpace(e.Logs); l != "" {
		fmt.Fprintf(&b, "\n  last log lines:\n%s", indent(l, "    "))
	}
	return b.String()
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// errInterrupted ends a health wait cut short by Ctrl-C.
var errInterrupted = errors.New("interrupted")

// waitHealthy polls the new container until it is healthy, it exits, its
// check reports unhealthy, the deadline passes or the apply is interrupted.
func (r *run) waitHealthy(ctx context.Context, d Docker, b *branch) error {
	h := b.change.Desired.Health
	start := time.Now()
	fail := func(reason, output string) error { return r.healthFailure(ctx, d, b, reason, output) }
	var output string
	for {
		octx, cancel := r.op(ctx)
		info, err := d.Inspect(octx, b.newID)
		cancel()
		if err != nil && ctx.Err() != nil {
			return fail("deploy.barrier_timeout passed", output)
		}
		if err != nil && !uncertain(err) {
			return fmt.Errorf("inspect %s: %w", b.change.Desired.Name, err)
		}
		if err != nil {
			// The connection failed: redial and go on until the deadline.
			output = "inspect: " + err.Error()
			if time.Since(start) > h.Deadline {
				return fail(fmt.Sprintf("deadline %s passed without an answer from the host", h.Deadline), output)
			}
			if nd, derr := r.redial(ctx, b.addr().Host); derr == nil {
				d = nd
			}
			if !r.pause(ctx) {
				return fmt.Errorf("%s: health check of %s: %w", b.addr(), b.change.Desired.Name, errInterrupted)
			}
			continue
		}
		if reason := notRunning(info); reason != "" {
			return fail(reason, lastHealthOutput(info, output))
		}
		ok, out, verdict := r.probe(ctx, d, b, h, info, start)
		output = cmp.Or(out, output)
		switch {
		case ok:
			return nil
		case verdict != "":
			return fail(verdict, lastHealthOutput(info, output))
		case time.Since(start) > healthLimit(h, info):
			return fail(fmt.Sprintf("deadline %s passed", healthLimit(h, info)), lastHealthOutput(info, output))
		}
		select {
		case <-time.After(r.opts.Poll):
		case <-ctx.Done():
			return fail("deploy.barrier_timeout passed", lastHealthOutput(info, output))
		case <-r.interrupt.Done():
			return fmt.Errorf("%s: health check of %s: %w", b.addr(), b.change.Desired.Name, errInterrupted)
		}
	}
}

// healthLimit is how long a health wait may take: the check's deadline, or
// for the image's own HEALTHCHECK at least imageHealthDeadline.
func healthLimit(h planner.HealthSpec, info dockerapi.ContainerInfo) time.Duration {
	if h.Kind == planner.HealthAuto && info.HasHealthcheck {
		return max(h.Deadline, imageHealthDeadline)
	}
	return h.Deadline
}

// healthFailure is the error of a failed health wait, with the container's
// last log lines.
func (r *run) healthFailure(ctx context.Context, d Docker, b *branch, reason, output string) error {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	logs, _ := d.Logs(lctx, b.newID, 20)
	return &HealthError{Address: b.addr(), Container: b.change.Desired.Name, Reason: reason, Output: output, Logs: string(logs)}
}

// pause waits one poll interval; false when the apply was interrupted
// or ctx ended.
func (r *run) pause(ctx context.Context) bool {
	select {
	case <-time.After(r.opts.Poll):
		return true
	case <-ctx.Done():
		return false
	case <-r.interrupt.Done():
		return false
	}
}

// notRunning says why a container is not up, or "" when it is.
func notRunning(info dockerapi.ContainerInfo) string {
	st := info.State
	switch {
	case st.Status == "exited" || st.Status == "dead":
		return fmt.Sprintf("exited with code %d", st.ExitCode)
	case st.Status == "restarting" || info.RestartCount > 0:
		if st.ExitCode == 0 { // Docker may already have reset it for the restart
			return "exited (Docker is restarting it)"
		}
		return fmt.Sprintf("exited with code %d (Docker is restarting it)", st.ExitCode)
	case !st.Running:
		return "not running (" + st.Status + ")"
	}
	return ""
}

// probe checks once. ok: healthy; verdict: a final failure (e.g. Docker
// marked the container unhealthy); out: what the check printed.
func (r *run) probe(ctx context.Context, d Docker, b *branch, h planner.HealthSpec, info dockerapi.ContainerInfo, start time.Time) (ok bool, out, verdict string) {
	switch h.Kind {
	case planner.HealthCmd, planner.HealthShell:
		argv := h.Cmd
		if h.Kind == planner.HealthShell {
			argv = []string{"/bin/sh", "-c", h.Shell}
		}
		octx, cancel := context.WithTimeout(ctx, max(h.Interval, 5*time.Second))
		code, o, err := d.Exec(octx, b.newID, argv)
		cancel()
		if err != nil {
			return false, err.Error(), ""
		}
		return code == 0, string(o), ""
	case planner.HealthHTTP:
		return r.probeHTTP(ctx, b, h, info)
	default: // "auto", "running"
		if info.HasHealthcheck {
			// The image's own HEALTHCHECK, with the image's own retries.
			switch st := info.State.Health; {
			case st == nil:
				return false, "", ""
			case st.Status == "unhealthy":
				return false, "", "unhealthy"
			default:
				return st.Status == "healthy", "", ""
			}
		}
		up := info.State.StartedAt
		if up.IsZero() {
			up = start
		}
		return time.Since(up) >= h.Deadline, "", ""
	}
}

// probeHTTP sends GET http://CONTAINER-IP:PORT/PATH through the SSH
// connection to the container's host.
func (r *run) probeHTTP(ctx context.Context, b *branch, h planner.HealthSpec, info dockerapi.ContainerInfo) (bool, string, string) {
	if info.IPAddress == "" {
		return false, "container has no IP address yet", ""
	}
	path := h.HTTPPath
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	addr := net.JoinHostPort(info.IPAddress, strconv.Itoa(h.HTTPPort))
	octx, cancel := context.WithTimeout(ctx, max(h.Interval, 2*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(octx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return false, "GET " + path + ": " + err.Error(), "the health check path is not a valid URL path"
	}
	req.Header.Set("User-Agent", "berth-healthcheck")
	resp, err := r.hostHTTP(b.addr().Host).Do(req)
	if err != nil {
		return false, "GET " + path + ": " + unwrapURLError(err).Error(), ""
	}
	resp.Body.Close()
	msg := fmt.Sprintf("GET %s: %s", path, resp.Status)
	return resp.StatusCode >= 200 && resp.StatusCode < 300, msg, ""
}

// hostHTTP is an HTTP client whose connections are dialled from host,
// through its SSH connection: a container's address is reachable there
// only. It keeps no connection between probes and follows no redirect.
func (r *run) hostHTTP(host string) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return r.hosts.DialContext(ctx, host, network, addr)
			},
			DisableKeepAlives: true,
			Proxy:             nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// unwrapURLError drops net/http's "Get \"URL\": " in front of an error: the
// message names the path already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// lastHealthOutput prefers Docker's own last check output, else berth's.
func lastHealthOutput(info dockerapi.ContainerInfo, berth string) string {
	if h := info.State.Health; h != nil && len(h.Log) > 0 {
		if o := strings.TrimSpace(h.Log[len(h.Log)-1].Output); o != "" {
			return o
		}
	}
	return berth
}
