//go:build e2e

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/test/e2e"
)

// Deadlines of the harness's own waits.
const (
	berthDeadline = 3 * time.Minute  // one run of berth, well above its deadlines (barrier_timeout 1m, command_timeout 30s)
	hostsDeadline = time.Minute      // every host answers again after a fault
	webDeadline   = 20 * time.Second // port 80 answers (the slow build needs about 5 s)
	pollEvery     = 200 * time.Millisecond

	registryDeadline = 3 * time.Minute // the shared registry answers again
)

// harness drives berth against the lab hosts of one chaos run.
type harness struct {
	t       *testing.T
	lab     *e2e.LabEnv
	bin     string
	dir     string // the configuration
	service string
	secrets []Secret
	env     []string
	force   bool // `berth lock release` has --force

	mu   sync.Mutex
	outs []Output // what berth printed in the current round
}

func newHarness(t *testing.T, seed uint64) *harness {
	t.Helper()
	lab := e2e.Lab(t)
	if len(lab.Hosts) < 3 {
		t.Fatalf("the chaos harness needs 3 hosts, the lab gives %d", len(lab.Hosts))
	}
	dbSecret := fmt.Sprintf("chaos-db-%016x", seed*0x9e3779b97f4a7c15+1)
	h := &harness{
		t:       t,
		lab:     lab,
		bin:     e2e.BerthPath(t),
		dir:     t.TempDir(),
		service: fmt.Sprintf("chaos-s%d", seed),
		secrets: []Secret{{"registry password", lab.RegistryPassword}, {"secret_env value", dbSecret}},
	}
	h.env = append(os.Environ(), "BERTH_LAB_DIR="+lab.Dir, "REGISTRY_PASSWORD="+lab.RegistryPassword, "CHAOS_DB_PASSWORD="+dbSecret)
	if err := os.WriteFile(filepath.Join(h.dir, "chaos.hcl"), []byte(h.config()), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if o, code := h.run(ctx, "validate", "validate"); code != 0 {
		t.Fatalf("the chaos configuration is not valid:\n%s%s", o.Stdout, o.Stderr)
	}
	o, _ := h.run(ctx, "lock release --help", "lock", "release", "--help")
	h.force = strings.Contains(o.Stdout, "--force")
	return h
}

// config is the chaos configuration: web on h1 (primary) and h2 publishing
// port 80 with a health check, a worker without one on h3, a secret_env
// value on both, and short deadlines so that a round takes seconds.
func (h *harness) config() string {
	return fmt.Sprintf(`service %q {
  image = "%s/app"
}

variable "version" {
  type    = string
  default = "v1"
}

%s
ssh {
  user            = "root"
  identity        = %q
  known_hosts     = %q
  connect_timeout = "5s"
  command_timeout = "30s"
}

%s
role "web" {
  primary    = true
  hosts      = [host.h1, host.h2]
  cmd        = ["/app", "serve"]
  ports      = ["80:8080"]
  secret_env = { DB_PASSWORD = env("CHAOS_DB_PASSWORD") }
  healthcheck {
    cmd      = ["/app", "check"]
    interval = "500ms"
    deadline = "8s"
  }
}

role "worker" {
  hosts      = [host.h3]
  cmd        = ["/app", "work"]
  secret_env = { DB_PASSWORD = env("CHAOS_DB_PASSWORD") }
}

deploy {
  version         = var.version
  readiness_delay = "1s"
  stop_timeout    = "5s"
  barrier_timeout = "1m"
  retain          = 2
}
`, h.service, e2e.Registry, h.lab.RegistryBlock(), h.lab.KeyPath, h.lab.KnownHostsPath, h.lab.HostBlocks("h1", "h2", "h3"))
}

// labName is the lab's own name of a configuration host ("h3" -> "h12").
func (h *harness) labHost(name string) e2e.LabHost { return h.lab.Host(h.t, name) }

// hostMap says which lab hosts the run uses: "h1=h10 h2=h11 h3=h12".
func (h *harness) hostMap() string {
	var parts []string
	for _, n := range Hosts() {
		parts = append(parts, n+"="+h.labHost(n).Lab)
	}
	return strings.Join(parts, " ")
}

// proc is one run of berth, watched while it goes on.
type proc struct {
	what    string
	cmd     *exec.Cmd
	started time.Time
	lines   chan string // stdout, line by line; closed at its end
	done    chan struct{}

	stdout, stderr bytes.Buffer
	mu             sync.Mutex
	firstStep      time.Time // when its first progress line was read
	exit           int       // after done; -1 when a signal ended it
	exitedAt       time.Time
}

// start runs berth in the background.
func (h *harness) start(what string, args ...string) (*proc, error) {
	p := &proc{what: what, lines: make(chan string, 4096), done: make(chan struct{})}
	p.cmd = exec.Command(h.bin, args...)
	p.cmd.Dir = h.dir
	p.cmd.Env = h.env
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start berth %s: %w", what, err)
	}
	p.started = time.Now()
	go p.read(out, h)
	return p, nil
}

func (p *proc) read(out io.Reader, h *harness) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.stdout.WriteString(line + "\n")
		if _, ok := ParseLine(line); ok && p.firstStep.IsZero() {
			p.firstStep = time.Now()
		}
		p.mu.Unlock()
		p.lines <- line
	}
	_, _ = io.Copy(io.Discard, out)
	close(p.lines)
	_ = p.cmd.Wait()
	p.mu.Lock()
	p.exit = p.cmd.ProcessState.ExitCode()
	p.exitedAt = time.Now()
	p.mu.Unlock()
	h.record(p.output())
	close(p.done)
}

func (p *proc) output() Output {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Output{What: p.what, Stdout: p.stdout.String(), Stderr: p.stderr.String()}
}

// wait waits for the run to end, killing it after timeout; ok is false then.
func (p *proc) wait(ctx context.Context, timeout time.Duration) (exit int, ok bool) {
	select {
	case <-p.done:
		return p.exit, true
	case <-ctx.Done():
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return p.exit, false
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (h *harness) record(o Output) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.outs = append(h.outs, o)
}

// takeOutputs returns what berth printed since the last call.
func (h *harness) takeOutputs() []Output {
	h.mu.Lock()
	defer h.mu.Unlock()
	outs := h.outs
	h.outs = nil
	return outs
}

// run runs berth to its end; code -1: it did not end within berthDeadline
// and was killed.
func (h *harness) run(ctx context.Context, what string, args ...string) (Output, int) {
	p, err := h.start(what, args...)
	if err != nil {
		return Output{What: what, Stderr: err.Error()}, -1
	}
	code, ok := p.wait(ctx, berthDeadline)
	if !ok {
		code = -1
	}
	return p.output(), code
}

// apply runs `berth apply --auto-approve` of version.
func (h *harness) apply(ctx context.Context, what, version string) (Output, int) {
	return h.run(ctx, what, "apply", "--auto-approve", "--var", "version="+version)
}

// plan runs `berth plan --json --detailed-exitcode` for version.
func (h *harness) plan(ctx context.Context, version string) (PlanResult, Output, error) {
	o, code := h.run(ctx, "plan", "plan", "--json", "--detailed-exitcode", "--var", "version="+version)
	p, err := ParsePlan(code, o.Stdout)
	if err != nil {
		return p, o, fmt.Errorf("%w: %s", err, firstLine(o.Stderr))
	}
	return p, o, nil
}

// lockStatus runs `berth lock status`.
func (h *harness) lockStatus(ctx context.Context) (LockState, Output) {
	o, _ := h.run(ctx, "lock status", "lock", "status")
	return ParseLockStatus(o.Stdout), o
}

// releaseLock runs `berth lock release` (with --force when berth has it)
// and checks that the lock is free afterwards.
func (h *harness) releaseLock(ctx context.Context) error {
	args := []string{"lock", "release"}
	if h.force {
		args = append(args, "--force")
	}
	o, code := h.run(ctx, "lock release", args...)
	if code != 0 {
		return fmt.Errorf("berth %s exited %d: %s", strings.Join(args, " "), code, firstLine(o.Stderr))
	}
	if st, o := h.lockStatus(ctx); st != Unlocked {
		return fmt.Errorf("after berth %s, lock status says %q", strings.Join(args, " "), firstLine(o.Stdout+o.Stderr))
	}
	return nil
}

// view reads every host's containers of the service with docker ps over
// SSH: the harness's own view, independent of berth.
func (h *harness) view() (View, error) {
	cmd := fmt.Sprintf(`docker ps -a --filter label=berth.service=%s --format '{{.Names}}\t{{.State}}\t{{.Label "berth.role"}}\t{{.Label "berth.version"}}'`, h.service)
	parts := make([]View, len(Hosts()))
	errs := make([]error, len(Hosts()))
	var wg sync.WaitGroup
	for i, host := range Hosts() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.lab.SSH(h.t, host, cmd)
			if err != nil {
				errs[i] = err
				return
			}
			parts[i], errs[i] = ParseView(host, out)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// waitHosts waits until every host answers over SSH and its dockerd
// answers too.
func (h *harness) waitHosts(ctx context.Context) error {
	deadline := time.Now().Add(hostsDeadline)
	for _, host := range Hosts() {
		for {
			_, err := h.lab.SSH(h.t, host, "docker version --format '{{.Server.Version}}' >/dev/null")
			if err == nil {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("host %s (%s) does not answer within %s: %w", host, h.labHost(host).Lab, hostsDeadline, err)
			}
			time.Sleep(pollEvery)
		}
	}
	return nil
}

// webAnswers polls GET /up on host's port 80 until it answers 200 with one
// of the versions, or the deadline passes.
func (h *harness) webAnswers(ctx context.Context, host string, versions ...string) error {
	addr := h.labHost(host).Addr
	c := http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(webDeadline)
	var last string
	for {
		resp, err := c.Get("http://" + addr + "/up")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := strings.TrimSpace(string(b))
			if resp.StatusCode == 200 && slices.Contains(versions, body) {
				return nil
			}
			last = fmt.Sprintf("%s %q", resp.Status, body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s port 80 does not answer %s within %s: %s", host, strings.Join(versions, " or "), webDeadline, last)
		}
		time.Sleep(pollEvery)
	}
}

// registryUp reports whether the lab's registry answers (401 without a
// login). Other test runs share it, and one of them may stop it for a
// while: an apply that fails then is the lab's doing, not berth's.
func registryUp() bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + e2e.Registry + "/v2/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusOK
}

// waitRegistry waits for the registry to answer.
func waitRegistry(ctx context.Context) error {
	deadline := time.Now().Add(registryDeadline)
	for !registryUp() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the lab's registry %s does not answer within %s", e2e.Registry, registryDeadline)
		}
		time.Sleep(time.Second)
	}
	return nil
}

// removeContainers removes every container of the service on every host.
func (h *harness) removeContainers() error {
	cmd := fmt.Sprintf("docker ps -aq --filter label=berth.service=%s | xargs -r docker rm -f >/dev/null", h.service)
	var errs []error
	for _, host := range Hosts() {
		if _, err := h.lab.SSH(h.t, host, cmd); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reset starts over from nothing with version everywhere: after a round
// that did not converge, the next one must start from a known state.
func (h *harness) reset(ctx context.Context, version string) error {
	if err := waitRegistry(ctx); err != nil {
		return err
	}
	if err := h.removeContainers(); err != nil {
		return err
	}
	if st, _ := h.lockStatus(ctx); st != Unlocked {
		if err := h.releaseLock(ctx); err != nil {
			return err
		}
	}
	o, code := h.apply(ctx, "reset apply", version)
	if code != 0 {
		return fmt.Errorf("apply of %s on empty hosts exited %d: %s", version, code, Redact(lastLines(o.Stderr, 4), h.secrets))
	}
	v, err := h.view()
	if err != nil {
		return err
	}
	if bad := CheckExact(v, version); len(bad) > 0 {
		return fmt.Errorf("after a fresh apply of %s: %s", version, strings.Join(bad, "; "))
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return line
}
