//go:build e2e

// Package e2e holds berth's end-to-end tests and the small harness they share.
//
// The tests run against the lab that test/lab/lab.sh brings up (make lab-up):
// real hosts in network namespaces with their own dockerd and sshd, and a real
// registry that demands a login. The harness reads the lab's client files from
// $BERTH_LAB_DIR (default /tmp/berth-lab), talks to the hosts over SSH with
// strict host key checking, and runs the real berth binary. It does not start
// or repair the lab: Lab fails the test when the lab is not up.
//
// Run with: go test -tags e2e ./test/e2e/ -run TestName
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Registry is the lab registry's address (plain http, login required).
const Registry = "10.77.0.1:5000"

// Timeouts of the harness's own waits.
const (
	sshDialTimeout = 10 * time.Second
	sshCmdTimeout  = 2 * time.Minute
	berthTimeout   = 5 * time.Minute
)

// LabHost is one host of the lab.
type LabHost struct {
	Name string // h1, h2, ...: the name tests and configurations use
	Addr string // 10.77.0.11, ...
	Lab  string // the lab's own name of the host (its veth is v-LAB); Name unless BERTH_E2E_HOSTS maps it
}

// Veth is the host's link on the lab bridge, to cut it off with `ip link set VETH down`.
func (h LabHost) Veth() string { return "v-" + h.Lab }

// LabEnv is the running lab as its client files describe it.
type LabEnv struct {
	Dir              string // $BERTH_LAB_DIR
	KeyPath          string // SSH private key authorised on every host
	KnownHostsPath   string // every host's real key
	RegistryUser     string
	RegistryPassword string
	Hosts            []LabHost
	// Size is how many hosts the lab has, which can be more than Hosts
	// when BERTH_E2E_HOSTS picks some of them.
	Size int

	sshConfig *ssh.ClientConfig

	mu      sync.Mutex
	clients map[string]*ssh.Client // by address; one per host per test binary
}

var (
	labOnce   sync.Once
	sharedLab *LabEnv
	labErr    error

	berthOnce sync.Once
	berthBin  string
	berthErr  error
	berthTmp  string // removed by TestMain
)

// Lab returns the lab, or fails the test with what is missing when it is not up.
func Lab(t testing.TB) *LabEnv {
	t.Helper()
	labOnce.Do(func() { sharedLab, labErr = loadLab() })
	if labErr != nil {
		t.Fatalf("the lab is not up (run `make lab-up`): %v", labErr)
	}
	return sharedLab
}

func loadLab() (*LabEnv, error) {
	dir := os.Getenv("BERTH_LAB_DIR")
	if dir == "" {
		dir = "/tmp/berth-lab"
	}
	client := filepath.Join(dir, "client")
	l := &LabEnv{
		Dir:            dir,
		KeyPath:        filepath.Join(client, "id_ed25519"),
		KnownHostsPath: filepath.Join(client, "known_hosts"),
		clients:        map[string]*ssh.Client{},
	}
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(client, name))
		return strings.TrimSpace(string(b)), err
	}
	var err error
	if l.RegistryUser, err = read("registry_user"); err != nil {
		return nil, err
	}
	if l.RegistryPassword, err = read("registry_password"); err != nil {
		return nil, err
	}
	hosts, err := read("hosts")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(hosts, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		l.Hosts = append(l.Hosts, LabHost{Name: f[0], Addr: f[1], Lab: f[0]})
	}
	if len(l.Hosts) == 0 {
		return nil, fmt.Errorf("no hosts in %s", filepath.Join(client, "hosts"))
	}
	l.Size = len(l.Hosts)
	if pick := os.Getenv("BERTH_E2E_HOSTS"); pick != "" {
		if l.Hosts, err = pickHosts(l.Hosts, pick); err != nil {
			return nil, err
		}
	}
	key, err := os.ReadFile(l.KeyPath)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", l.KeyPath, err)
	}
	hostKeys, err := knownhosts.New(l.KnownHostsPath)
	if err != nil {
		return nil, err
	}
	l.sshConfig = &ssh.ClientConfig{
		User:            "root",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         sshDialTimeout,
	}
	return l, l.reachable()
}

// pickHosts keeps the lab hosts named in pick ("h4,h5,h6"), in that order,
// and names them h1, h2, ... so that tests written against h1..h3 run on
// them: several test runs can then share one big lab, each on its own hosts.
func pickHosts(all []LabHost, pick string) ([]LabHost, error) {
	var out []LabHost
	for i, name := range strings.Split(pick, ",") {
		found := false
		for _, h := range all {
			if h.Lab == strings.TrimSpace(name) {
				h.Name = fmt.Sprintf("h%d", i+1)
				out = append(out, h)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("BERTH_E2E_HOSTS names %s, which the lab does not have", name)
		}
	}
	return out, nil
}

// reachable dials every host once (the connections stay cached): client
// files left behind by a lab that is down do not make a lab.
func (l *LabEnv) reachable() error {
	errs := make([]error, len(l.Hosts))
	var wg sync.WaitGroup
	for i, h := range l.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.client(h.Addr); err != nil {
				errs[i] = fmt.Errorf("host %s (%s): %w", h.Name, h.Addr, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Host finds a host by name ("h1") or address ("10.77.0.11").
func (l *LabEnv) Host(t testing.TB, host string) LabHost {
	t.Helper()
	for _, h := range l.Hosts {
		if h.Name == host || h.Addr == host {
			return h
		}
	}
	t.Fatalf("the lab has no host %q (it has %d hosts)", host, len(l.Hosts))
	return LabHost{}
}

// DialSSH opens a new SSH connection to host with the given host key check;
// the caller closes it. Most tests want Client instead.
func (l *LabEnv) DialSSH(addr string, hostKeys ssh.HostKeyCallback) (*ssh.Client, error) {
	cfg := *l.sshConfig
	cfg.HostKeyCallback = hostKeys
	return ssh.Dial("tcp", net.JoinHostPort(addr, "22"), &cfg)
}

// Client returns the cached SSH connection to host, dialling it if needed.
func (l *LabEnv) Client(t testing.TB, host string) *ssh.Client {
	t.Helper()
	c, err := l.client(l.Host(t, host).Addr)
	if err != nil {
		t.Fatalf("ssh %s: %v", host, err)
	}
	return c
}

func (l *LabEnv) client(addr string) (*ssh.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.clients[addr]; c != nil {
		return c, nil
	}
	c, err := l.DialSSH(addr, l.sshConfig.HostKeyCallback)
	if err != nil {
		return nil, err
	}
	l.clients[addr] = c
	return c, nil
}

// forget drops a cached connection that failed (the lab may have been restarted).
func (l *LabEnv) forget(addr string, c *ssh.Client) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.clients[addr] == c {
		delete(l.clients, addr)
	}
	c.Close()
}

func (l *LabEnv) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for addr, c := range l.clients {
		c.Close()
		delete(l.clients, addr)
	}
}

// SSH runs cmd (a shell command line) on host and returns its stdout. A
// non-zero exit is an error that carries the exit status and stderr.
func (l *LabEnv) SSH(t testing.TB, host, cmd string) (string, error) {
	t.Helper()
	return l.SSHInput(t, host, cmd, "")
}

// SSHInput is SSH with stdin: use it to hand a secret to a command without
// putting it on the command line.
func (l *LabEnv) SSHInput(t testing.TB, host, cmd, stdin string) (string, error) {
	t.Helper()
	addr := l.Host(t, host).Addr
	for attempt := 0; ; attempt++ {
		c, err := l.client(addr)
		if err != nil {
			return "", fmt.Errorf("ssh %s: %w", host, err)
		}
		sess, err := c.NewSession()
		if err != nil {
			// A broken cached connection: dial once more.
			l.forget(addr, c)
			if attempt == 0 {
				continue
			}
			return "", fmt.Errorf("ssh %s: new session: %w", host, err)
		}
		return runSession(sess, host, cmd, stdin)
	}
}

func runSession(sess *ssh.Session, host, cmd, stdin string) (string, error) {
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	if stdin != "" {
		sess.Stdin = strings.NewReader(stdin)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Run(cmd) }()
	select {
	case err := <-done:
		if err != nil {
			return stdout.String(), fmt.Errorf("ssh %s %q: %w: %s", host, cmd, err, strings.TrimSpace(stderr.String()))
		}
		return stdout.String(), nil
	case <-time.After(sshCmdTimeout):
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return stdout.String(), fmt.Errorf("ssh %s %q: no answer within %s", host, cmd, sshCmdTimeout)
	}
}

// MustSSH is SSH that fails the test on error.
func (l *LabEnv) MustSSH(t testing.TB, host, cmd string) string {
	t.Helper()
	out, err := l.SSH(t, host, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Pull pulls image on host with a throwaway docker login (the host's own
// docker configuration is left as it was).
func (l *LabEnv) Pull(t testing.TB, host, image string) {
	t.Helper()
	cmd := fmt.Sprintf(`set -e; export DOCKER_CONFIG=$(mktemp -d); trap 'rm -rf "$DOCKER_CONFIG"' EXIT
docker login --username %s --password-stdin %s >/dev/null
docker pull -q %s >/dev/null`, shellQuote(l.RegistryUser), Registry, shellQuote(image))
	if _, err := l.SSHInput(t, host, cmd, l.RegistryPassword+"\n"); err != nil {
		t.Fatalf("pull %s on %s: %v", image, host, err)
	}
}

// Result is what a run of berth did.
type Result struct {
	Stdout, Stderr string
	Code           int // exit code; -1 if it did not exit (timeout, signal)
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.Code, r.Stdout, r.Stderr)
}

// BerthPath returns the berth binary: $BERTH_BIN if set, else one built from
// this module once per test binary.
func BerthPath(t testing.TB) string {
	t.Helper()
	berthOnce.Do(func() {
		if p := os.Getenv("BERTH_BIN"); p != "" {
			berthBin, berthErr = filepath.Abs(p)
			return
		}
		root, err := moduleRoot()
		if err != nil {
			berthErr = err
			return
		}
		berthTmp, err = os.MkdirTemp("", "berth-e2e-")
		if err != nil {
			berthErr = err
			return
		}
		berthBin = filepath.Join(berthTmp, "berth")
		cmd := exec.Command("go", "build", "-o", berthBin, "./cmd/berth")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			berthErr = fmt.Errorf("go build ./cmd/berth: %w\n%s", err, out)
		}
	})
	if berthErr != nil {
		t.Fatal(berthErr)
	}
	return berthBin
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Berth runs berth with args in dir, with BERTH_LAB_DIR and REGISTRY_PASSWORD
// set, and returns what it did. It fails the test only if berth cannot run.
func (l *LabEnv) Berth(t testing.TB, dir string, args ...string) Result {
	t.Helper()
	return l.BerthEnv(t, dir, nil, args...)
}

// BerthEnv is Berth with extra environment variables (e.g. secrets).
func (l *LabEnv) BerthEnv(t testing.TB, dir string, env map[string]string, args ...string) Result {
	t.Helper()
	bin := BerthPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), berthTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BERTH_LAB_DIR="+l.Dir, "REGISTRY_PASSWORD="+l.RegistryPassword)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.Code = exitErr.ExitCode()
	default:
		t.Fatalf("berth %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		r.Code = -1
		t.Errorf("berth %s: no exit within %s", strings.Join(args, " "), berthTimeout)
	}
	return r
}

var sshBlockRE = regexp.MustCompile(`(?m)^\s*ssh\s*\{`)

// WriteConfig writes hcl as main.hcl into a new temporary directory and
// returns it. Unless hcl has an ssh block of its own, a lab.hcl with
// SSHBlock() is written beside it.
func (l *LabEnv) WriteConfig(t testing.TB, hcl string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	if !sshBlockRE.MatchString(hcl) {
		if err := os.WriteFile(filepath.Join(dir, "lab.hcl"), []byte(l.SSHBlock()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// SSHBlock is the HCL ssh block that reaches the lab's hosts.
func (l *LabEnv) SSHBlock() string {
	return fmt.Sprintf(`ssh {
  user        = "root"
  port        = 22
  identity    = %q
  known_hosts = %q
}
`, l.KeyPath, l.KnownHostsPath)
}

// RegistryBlock is the HCL registry block for the lab registry; the password
// comes from the REGISTRY_PASSWORD environment variable that Berth sets.
func (l *LabEnv) RegistryBlock() string {
	return fmt.Sprintf(`registry {
  server   = %q
  username = %q
  password = env("REGISTRY_PASSWORD")
  insecure = true
}
`, Registry, l.RegistryUser)
}

// HostBlocks is one HCL host block per lab host, or per named host.
func (l *LabEnv) HostBlocks(names ...string) string {
	var b strings.Builder
	for _, h := range l.Hosts {
		if len(names) > 0 && !contains(names, h.Name) {
			continue
		}
		fmt.Fprintf(&b, "host %q { address = %q }\n", h.Name, h.Addr)
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// UniqueName returns prefix plus a random suffix, a valid service name.
func UniqueName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Service returns a unique service name and registers Cleanup of its
// containers on every host at the end of the test.
func (l *LabEnv) Service(t testing.TB, prefix string) string {
	t.Helper()
	name := UniqueName(prefix)
	t.Cleanup(func() { l.Cleanup(t, name) })
	return name
}

// Cleanup removes every container and network labelled
// berth.service=service on every host.
func (l *LabEnv) Cleanup(t testing.TB, service string) {
	t.Helper()
	cmd := fmt.Sprintf("docker ps -aq --filter label=berth.service=%[1]s | xargs -r docker rm -f >/dev/null; "+
		"docker network ls -q --filter label=berth.service=%[1]s | xargs -r docker network rm >/dev/null; rm -f ~/.berth/roster/%[1]s.json",
		shellQuote(service))
	var wg sync.WaitGroup
	for _, h := range l.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.SSH(t, h.Name, cmd); err != nil {
				t.Errorf("cleanup of %s on %s: %v", service, h.Name, err)
			}
		}()
	}
	wg.Wait()
}

// Container is a container as docker inspect sees it.
type Container struct {
	ID     string
	Name   string // without the leading slash
	Image  string // as the container was created with (a reference)
	State  string // created, running, exited, ...
	Health string // healthy, unhealthy, starting, or "" with no health check
	Labels map[string]string
}

// Containers lists the containers labelled berth.service=service on host.
func (l *LabEnv) Containers(t testing.TB, host, service string) []Container {
	t.Helper()
	return l.ContainersByLabel(t, host, "berth.service="+service)
}

// ContainersByLabel lists the containers on host that match a docker label
// filter ("key" or "key=value").
func (l *LabEnv) ContainersByLabel(t testing.TB, host, filter string) []Container {
	t.Helper()
	out := l.MustSSH(t, host, fmt.Sprintf(
		"ids=$(docker ps -aq --filter label=%s); [ -z \"$ids\" ] || docker inspect $ids", shellQuote(filter)))
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var raw []struct {
		ID     string `json:"Id"`
		Name   string
		Config struct {
			Image  string
			Labels map[string]string
		}
		State struct {
			Status string
			Health *struct{ Status string }
		}
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("docker inspect on %s: %v\n%s", host, err, out)
	}
	cs := make([]Container, 0, len(raw))
	for _, r := range raw {
		c := Container{
			ID:     r.ID,
			Name:   strings.TrimPrefix(r.Name, "/"),
			Image:  r.Config.Image,
			State:  r.State.Status,
			Labels: r.Config.Labels,
		}
		if r.State.Health != nil {
			c.Health = r.State.Health.Status
		}
		cs = append(cs, c)
	}
	return cs
}

// Eventually calls fn until it returns nil, failing the test with fn's last
// error when timeout passes first.
func Eventually(t testing.TB, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Lines splits output into its non-empty lines.
func Lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
