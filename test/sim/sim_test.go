package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/executor/lock"
	berthdeploy "github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// setup starts a fleet of n hosts and a registry with app:v1 and app:v2,
// and writes a configuration for them.
func setup(t *testing.T, n int, latency time.Duration) (*Fleet, *Registry, string) {
	t.Helper()
	f, err := Start(Options{Hosts: n, Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	reg := StartRegistry()
	t.Cleanup(reg.Close)
	reg.Push("app", "v1")
	reg.Push("app", "v2")
	dir := t.TempDir()
	id, kh, err := f.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.WriteConfig(dir, ConfigOptions{Registry: reg.Host(), Identity: id, KnownHosts: kh, Parallelism: 8}); err != nil {
		t.Fatal(err)
	}
	return f, reg, dir
}

func load(t *testing.T, dir, version string) *lang.Config {
	t.Helper()
	res := lang.Load(context.Background(), lang.Options{Dir: dir, Vars: []string{"version=" + version}})
	if res.Diags.HasErrors() {
		t.Fatalf("config: %v", res.Diags)
	}
	return res.Config
}

type hosts struct {
	pool *sshx.Pool
	live *live.Reader
}

func (h hosts) Docker(ctx context.Context, host string) (executor.Docker, error) {
	return h.live.Client(ctx, host)
}

func (h hosts) DialContext(ctx context.Context, host, network, addr string) (net.Conn, error) {
	c, err := h.pool.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	return c.DialContext(ctx, network, addr)
}

// deploy plans and applies version through berth's own packages, as the
// CLI does, and returns the plan and the pool's dial count.
func deploy(t *testing.T, dir, version string) (*planner.Plan, int) {
	t.Helper()
	ctx := context.Background()
	cfg := load(t, dir, version)
	pool, err := sshx.NewPool(sshx.Options{Config: sshx.Config(cfg.SSH), Hosts: berthdeploy.SSHHosts(cfg.Hosts)})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	lr := live.NewReader(pool, nil)
	p, err := planner.Build(ctx, cfg, planner.Deps{State: lr, Digests: berthdeploy.NewResolver(cfg.Registry)}, planner.Options{})
	if err != nil {
		t.Fatalf("plan %s: %v", version, err)
	}
	if _, err := executor.Apply(ctx, p, cfg, hosts{pool, lr}, executor.Options{Poll: 10 * time.Millisecond}); err != nil {
		t.Fatalf("apply %s: %v", version, err)
	}
	return p, pool.Dials()
}

func running(h *Host) map[string]string {
	out := map[string]string{}
	for _, c := range h.Docker.Containers() {
		if c.Running {
			out[c.Labels[planner.LabelRole]] = c.Labels[planner.LabelVersion]
		}
	}
	return out
}

func TestApplyThroughBerth(t *testing.T) {
	f, reg, dir := setup(t, 3, 0)
	p, dials := deploy(t, dir, "v1")
	if c, _, _, _ := p.Counts(); c != 6 {
		t.Errorf("first plan creates %d containers, want 6", c)
	}
	if dials != 3 {
		t.Errorf("the pool dialled %d times for 3 hosts", dials)
	}
	p, _ = deploy(t, dir, "v2")
	if _, r, _, _ := p.Counts(); r != 6 {
		t.Errorf("second plan replaces %d containers, want 6", r)
	}
	for _, h := range f.Hosts {
		if got := running(h); got["web"] != "v2" || got["worker"] != "v2" || len(got) != 2 {
			t.Errorf("%s runs %v, want web and worker on v2", h.Name, got)
		}
		if n := len(h.Docker.Containers()); n != 4 {
			t.Errorf("%s has %d containers, want 4 (two old ones kept stopped)", h.Name, n)
		}
		if h.Handshakes() != 2 {
			t.Errorf("%s accepted %d SSH connections in two deploys, want 2", h.Name, h.Handshakes())
		}
	}
	if reg.Requests() == 0 {
		t.Error("the registry was never asked for a digest")
	}
	p, _ = deploy(t, dir, "v2")
	if p.HasChanges() {
		t.Error("a third plan for the same version has changes")
	}
	if ns := f.NotSimulated(); len(ns) > 0 {
		t.Errorf("berth sent what the simulator does not answer: %v", ns)
	}
}

// hostRunner runs commands on a simulated host as executor/lock does.
type hostRunner struct{ h *Host }

func (r hostRunner) Run(_ context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	var in []byte
	if stdin != nil {
		in, _ = io.ReadAll(stdin)
	}
	out, stderr, code := r.h.run(cmd, in)
	if code != 0 {
		return []byte(out), fmt.Errorf("exit %d: %s", code, stderr)
	}
	return []byte(out), nil
}

func TestLockAndAuditCommands(t *testing.T) {
	f, _, _ := setup(t, 1, 0)
	h := f.Hosts[0]
	ctx := context.Background()
	info := lock.Info{Service: "sim", Who: "a", Host: "h1", Token: lock.NewToken()}
	if err := lock.Acquire(ctx, hostRunner{h}, info); err != nil || !h.Locked() {
		t.Fatalf("first lock: %v", err)
	}
	if err := lock.Acquire(ctx, hostRunner{h}, lock.Info{Service: "sim", Who: "b", Host: "h1", Token: lock.NewToken()}); !errors.Is(err, lock.ErrLocked) {
		t.Errorf("second lock: %v", err)
	}
	if err := lock.Release(ctx, hostRunner{h}, "sim", info.Token); err != nil || h.Locked() {
		t.Errorf("release: %v, still locked %v", err, h.Locked())
	}
	if _, stderr, code := h.run("reboot", nil); code != 127 || !strings.Contains(stderr, "not simulated") {
		t.Errorf("unknown command: %q %d", stderr, code)
	}
	if ns := f.NotSimulated(); len(ns) != 1 || ns[0] != "h1: exec reboot" {
		t.Errorf("NotSimulated = %q", ns)
	}
}

func TestDockerModelErrors(t *testing.T) {
	f, _, _ := setup(t, 1, 0)
	ctx := context.Background()
	dir := t.TempDir()
	id, kh, err := f.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := f.Hosts[0]
	pool, err := sshx.NewPool(sshx.Options{Config: simSSH(id, kh),
		Hosts: []sshx.Host{{Name: h.Name, Address: "127.0.0.1", Port: h.Port}}})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx, h.Name)
	if err != nil {
		t.Fatal(err)
	}
	d := dockerapi.New(conn)
	if _, err := d.Create(ctx, "a", dockerapi.CreateSpec{Image: "r/app:v9"}); !errorsIs(err, dockerapi.ErrNotFound) {
		t.Errorf("create from a missing image: %v", err)
	}
	if err := d.Pull(ctx, "r/app:v9", nil); err != nil {
		t.Fatal(err)
	}
	spec := dockerapi.CreateSpec{Image: "r/app:v9", Ports: []dockerapi.Port{{HostPort: 80, ContainerPort: 8080}}}
	a, err := d.Create(ctx, "a", spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create(ctx, "a", spec); !errorsIs(err, dockerapi.ErrConflict) {
		t.Errorf("create with a taken name: %v", err)
	}
	b, err := d.Create(ctx, "b", spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, b); err == nil || !strings.Contains(err.Error(), "port is already allocated") {
		t.Errorf("second container on port 80 started: %v", err)
	}
	code, _, err := d.Exec(ctx, a, []string{"/app", "check"})
	if err != nil || code != 0 {
		t.Errorf("exec in a running container: %d %v", code, err)
	}
	info, err := d.Inspect(ctx, "a")
	if err != nil || !info.State.Running || info.IPAddress == "" {
		t.Errorf("inspect: %+v %v", info, err)
	}
	if err := d.Remove(ctx, a, false); !errorsIs(err, dockerapi.ErrConflict) {
		t.Errorf("remove a running container without force: %v", err)
	}
	if err := d.Stop(ctx, a, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Exec(ctx, a, []string{"/app", "check"}); !errorsIs(err, dockerapi.ErrConflict) {
		t.Errorf("exec in a stopped container: %v", err)
	}
	if err := d.Start(ctx, b); err != nil {
		t.Errorf("start after the port was freed: %v", err)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// A plan and an apply of a 200-host fleet open exactly one SSH connection
// per host each, and the apply's requests stay a fixed number per host.
func TestOneConnectionPerHostOnABiggerFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("200 hosts")
	}
	f, _, dir := setup(t, 200, 0)
	deploy(t, dir, "v1")
	r0 := f.Requests()
	_, dials := deploy(t, dir, "v2")
	if dials != 200 {
		t.Errorf("the pool dialled %d times for 200 hosts", dials)
	}
	for _, h := range f.Hosts {
		if h.Handshakes() != 2 {
			t.Fatalf("%s accepted %d SSH connections in two deploys, want 2", h.Name, h.Handshakes())
		}
	}
	// A graceful stop is three requests (inspect for the stop signal, kill,
	// wait), so at most 24.
	if per := float64(f.Requests()-r0) / 200; per > 24 {
		t.Errorf("%.1f Docker requests per host for a plan and an apply of two roles, want at most 24", per)
	}
	if ns := f.NotSimulated(); len(ns) > 0 {
		t.Errorf("berth sent what the simulator does not answer: %v", ns)
	}
}

// With a shared port, each host answers on its own loopback address, with
// its own host key, and no other host's connection reaches it.
func TestSharedPortServesEachHostOnItsAddress(t *testing.T) {
	f, err := Start(Options{Hosts: 3, SharedPort: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	id, kh, err := f.WriteClientFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var hosts []sshx.Host
	for _, h := range f.Hosts {
		if h.Port != f.Hosts[0].Port || h.IP == "127.0.0.1" {
			t.Fatalf("%s at %s, want its own address on the shared port", h.Name, h.Addr())
		}
		hosts = append(hosts, sshx.Host{Name: h.Name, Address: h.IP, Port: h.Port})
	}
	pool, err := sshx.NewPool(sshx.Options{Config: simSSH(id, kh), Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, h := range f.Hosts {
		conn, err := pool.Conn(context.Background(), h.Name)
		if err != nil {
			t.Fatal(err) // a host key of another host would be a mismatch
		}
		if _, err := dockerapi.New(conn).List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range f.Hosts {
		if h.Handshakes() != 1 || h.Docker.Requests() != 1 {
			t.Errorf("%s: %d handshakes, %d requests, want 1 and 1", h.Name, h.Handshakes(), h.Docker.Requests())
		}
	}
}

// simSSH is a complete client configuration for the simulated hosts.
func simSSH(identity, knownHosts string) sshx.Config {
	return sshx.Config{User: "root", Port: 22, Identity: identity, KnownHosts: knownHosts,
		HostKeyPolicy: sshx.PolicyStrict, ConnectTimeout: 10 * time.Second, CommandTimeout: time.Minute}
}
