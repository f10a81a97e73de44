//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The lab tests prove that the lab is what the other tests take it for:
// distinct real hosts, reached over verified SSH, and a registry that
// demands a login.

func needHosts(t *testing.T, lab *LabEnv, n int) {
	t.Helper()
	if len(lab.Hosts) < n {
		t.Fatalf("this test needs %d lab hosts, the lab has %d (make lab-up HOSTS=%d)", n, len(lab.Hosts), n)
	}
}

func TestLabHostsAreDistinct(t *testing.T) {
	lab := Lab(t)
	needHosts(t, lab, 2)
	marker := UniqueName("marker")
	ids := map[string]string{}
	for _, h := range lab.Hosts {
		if got := strings.TrimSpace(lab.MustSSH(t, h.Name, "hostname")); got != h.Lab {
			t.Errorf("%s: hostname %q", h.Name, got)
		}
		info := strings.Fields(lab.MustSSH(t, h.Name, "docker info --format '{{.Name}} {{.ID}}'"))
		if len(info) != 2 || info[0] != h.Lab {
			t.Errorf("%s: docker info says %q, want its own name", h.Name, info)
			continue
		}
		if other, ok := ids[info[1]]; ok {
			t.Errorf("%s and %s share one docker daemon (ID %s)", h.Name, other, info[1])
		}
		ids[info[1]] = h.Name
		// The socket sits at the standard path, and answers.
		lab.MustSSH(t, h.Name, "test -S /var/run/docker.sock && docker ps -q >/dev/null")
		if cs := lab.ContainersByLabel(t, h.Name, "berth.lab-marker="+marker); len(cs) != 0 {
			t.Errorf("%s: %d containers carry a label never used before", h.Name, len(cs))
		}
	}
	// Each host has its own /root and /tmp.
	h1, h2 := lab.Hosts[0].Name, lab.Hosts[1].Name
	for _, dir := range []string{"/root", "/tmp"} {
		file := dir + "/" + marker
		lab.MustSSH(t, h1, "touch "+file)
		t.Cleanup(func() { lab.SSH(t, h1, "rm -f "+file) })
		if _, err := lab.SSH(t, h1, "test -e "+file); err != nil {
			t.Errorf("%s: %s not there after touch: %v", h1, file, err)
		}
		if _, err := lab.SSH(t, h2, "test -e "+file); err == nil {
			t.Errorf("%s sees %s that %s wrote: the hosts share %s", h2, file, h1, dir)
		}
	}
}

// httpVia is an HTTP client whose connections are made by dial.
func httpVia(dial func(ctx context.Context) (net.Conn, error)) *http.Client {
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
			DisableKeepAlives: true,
		},
	}
}

func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func expectUp(c *http.Client, url, want string) func() error {
	return func() error {
		code, body, err := get(c, url)
		if err != nil {
			return err
		}
		if code != http.StatusOK || body != want {
			return fmt.Errorf("GET %s: %d %q, want 200 %q", url, code, body, want)
		}
		return nil
	}
}

func TestLabPublishedPortIsPerHost(t *testing.T) {
	lab := Lab(t)
	needHosts(t, lab, 2)
	h1, h2 := lab.Hosts[0], lab.Hosts[1]
	svc := lab.Service(t, "labport")
	lab.Pull(t, h1.Name, Registry+"/app:v1")
	lab.MustSSH(t, h1.Name, fmt.Sprintf(
		"docker run -d --name %s --label berth.service=%s -p 80:8080 %s/app:v1 /app serve", svc, svc, Registry))

	plain := &http.Client{Timeout: 2 * time.Second}
	Eventually(t, 30*time.Second, expectUp(plain, "http://"+h1.Addr+"/up", "v1"))
	if code, body, err := get(plain, "http://"+h2.Addr+"/up"); err == nil {
		t.Errorf("%s answers on port 80 (%d %q): the port leaked to another host", h2.Name, code, body)
	}
	if cs := lab.Containers(t, h1.Name, svc); len(cs) != 1 || cs[0].State != "running" || cs[0].Name != svc {
		t.Errorf("%s: containers of %s: %+v, want one running", h1.Name, svc, cs)
	}
	if cs := lab.Containers(t, h2.Name, svc); len(cs) != 0 {
		t.Errorf("%s: sees %s's container: %+v", h2.Name, h1.Name, cs)
	}

	// What berth relies on: the Engine API through a forwarded unix socket,
	// and a container's own address through a forwarded TCP connection.
	client := lab.Client(t, h1.Name)
	docker := httpVia(func(context.Context) (net.Conn, error) { return client.Dial("unix", "/var/run/docker.sock") })
	code, body, err := get(docker, "http://docker/_ping")
	if err != nil || code != 200 || body != "OK" {
		t.Fatalf("Engine API over the forwarded socket: %d %q %v", code, body, err)
	}
	_, body, err = get(docker, "http://docker/containers/"+svc+"/json")
	if err != nil {
		t.Fatal(err)
	}
	var inspect struct {
		NetworkSettings struct{ IPAddress string }
	}
	if err := json.Unmarshal([]byte(body), &inspect); err != nil || inspect.NetworkSettings.IPAddress == "" {
		t.Fatalf("inspect %s over the forwarded socket: %v %s", svc, err, body)
	}
	ip := inspect.NetworkSettings.IPAddress
	direct := httpVia(func(context.Context) (net.Conn, error) {
		return client.Dial("tcp", net.JoinHostPort(ip, "8080"))
	})
	Eventually(t, 10*time.Second, expectUp(direct, "http://container/up", "v1"))
}

func TestLabUnknownHostKeyRejected(t *testing.T) {
	lab := Lab(t)
	h := lab.Hosts[0]
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := map[string]string{
		"wrong key": knownhosts.Line([]string{h.Addr}, wrong) + "\n",
		"unknown":   knownhosts.Line([]string{"10.77.0.250"}, wrong) + "\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			cb, err := knownhosts.New(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := lab.DialSSH(h.Addr, cb)
			if err == nil {
				c.Close()
				t.Fatalf("handshake with %s succeeded with a known_hosts that does not hold its key", h.Name)
			}
			var keyErr *knownhosts.KeyError
			if !errors.As(err, &keyErr) {
				t.Fatalf("want a knownhosts.KeyError, got %v", err)
			}
			if mismatch := len(keyErr.Want) > 0; mismatch != (name == "wrong key") {
				t.Errorf("key error %v: mismatch=%v", err, mismatch)
			}
		})
	}
	// The real known_hosts is accepted.
	if out := lab.MustSSH(t, h.Name, "echo ok"); strings.TrimSpace(out) != "ok" {
		t.Errorf("echo ok: %q", out)
	}
}

func TestLabRegistryNeedsLogin(t *testing.T) {
	lab := Lab(t)
	req := func(auth bool) int {
		r, err := http.NewRequest(http.MethodGet, "http://"+Registry+"/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			r.SetBasicAuth(lab.RegistryUser, lab.RegistryPassword)
		}
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := req(false); code != http.StatusUnauthorized {
		t.Errorf("GET /v2/ without credentials: %d, want 401", code)
	}
	if code := req(true); code != http.StatusOK {
		t.Errorf("GET /v2/ with credentials: %d, want 200", code)
	}
	// A host without a login cannot pull (an empty docker config, so that a
	// login left by another test does not count) ...
	h := lab.Hosts[0].Name
	out, err := lab.SSH(t, h, fmt.Sprintf(
		`export DOCKER_CONFIG=$(mktemp -d); trap 'rm -rf "$DOCKER_CONFIG"' EXIT; docker pull %s/app:v2 2>&1`, Registry))
	if err == nil {
		t.Fatalf("docker pull without login succeeded: %s", out)
	}
	if !strings.Contains(out, "unauthorized") && !strings.Contains(out, "no basic auth credentials") {
		t.Errorf("docker pull without login failed, but not for want of a login: %s", out)
	}
	// ... and with one it can.
	lab.Pull(t, h, Registry+"/app:v2")
}

// TestLabImages checks the test images behave as the tests expect.
func TestLabImages(t *testing.T) {
	lab := Lab(t)
	h := lab.Hosts[len(lab.Hosts)-1].Name
	svc := lab.Service(t, "labimg")
	for _, tag := range []string{"app:v3", "app:broken", "app:unhealthy", "app:slow", "app:v1-hc", "cache:7", "cache:8"} {
		lab.Pull(t, h, Registry+"/"+tag)
	}
	run := func(name, args string) {
		lab.MustSSH(t, h, fmt.Sprintf("docker run -d --name %s-%s --label berth.service=%s %s", svc, name, svc, args))
	}
	run("v3", Registry+"/app:v3 /app serve")
	run("unhealthy", Registry+"/app:unhealthy /app serve")
	run("slow", Registry+"/app:slow /app serve")
	run("hc", Registry+"/app:v1-hc")
	run("work", Registry+"/app:v3 /app work")
	run("cache", Registry+"/cache:8")
	started := time.Now()

	// broken exits at once, non-zero.
	if out, err := lab.SSH(t, h, fmt.Sprintf("docker run --rm --label berth.service=%s %s/app:broken /app serve", svc, Registry)); err == nil {
		t.Errorf("app:broken ran: %s", out)
	}
	check := func(name string) error {
		_, err := lab.SSH(t, h, fmt.Sprintf("docker exec %s-%s /app check", svc, name))
		return err
	}
	Eventually(t, 10*time.Second, func() error { return check("v3") })
	if err := check("unhealthy"); err == nil {
		t.Error("app:unhealthy passes its check")
	}
	// slow: not healthy at first, healthy after about five seconds.
	if time.Since(started) < 3*time.Second {
		if err := check("slow"); err == nil {
			t.Error("app:slow is healthy at once")
		}
	}
	Eventually(t, 20*time.Second, func() error { return check("slow") })
	// v1-hc: the image's own HEALTHCHECK (exec form, no shell in the image).
	Eventually(t, 20*time.Second, func() error {
		for _, c := range lab.Containers(t, h, svc) {
			if c.Name == svc+"-hc" {
				if c.Health != "healthy" {
					return fmt.Errorf("%s health %q", c.Name, c.Health)
				}
				return nil
			}
		}
		return errors.New("no -hc container")
	})
	// work logs a line per second; serve logs on start.
	Eventually(t, 10*time.Second, func() error {
		out, err := lab.SSH(t, h, fmt.Sprintf("docker logs %s-work 2>&1 | grep -c tick", svc))
		if err != nil || strings.TrimSpace(out) == "0" || strings.TrimSpace(out) == "1" {
			return fmt.Errorf("worker logged %q ticks (%v)", strings.TrimSpace(out), err)
		}
		return nil
	})
	if out := lab.MustSSH(t, h, fmt.Sprintf("docker logs %s-v3 2>&1", svc)); !strings.Contains(out, "serving on :8080") {
		t.Errorf("app serve logged %q", out)
	}
	// cache answers on 6379, reached through the SSH link.
	ip := strings.TrimSpace(lab.MustSSH(t, h, fmt.Sprintf("docker inspect -f '{{.NetworkSettings.IPAddress}}' %s-cache", svc)))
	Eventually(t, 10*time.Second, func() error {
		conn, err := lab.Client(t, h).Dial("tcp", net.JoinHostPort(ip, "6379"))
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(conn, "PING\r\nVERSION\r\n")
		r := bufio.NewReader(conn)
		var got []string
		for range 2 {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			got = append(got, strings.TrimSpace(line))
		}
		if got[0] != "+PONG" || got[1] != "+8" {
			return fmt.Errorf("cache answered %q", got)
		}
		return nil
	})
	// A Go program as PID 1 stops promptly on docker stop's SIGTERM.
	t0 := time.Now()
	lab.MustSSH(t, h, fmt.Sprintf("docker stop -t 10 %s-v3 >/dev/null", svc))
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("docker stop took %s: app serve ignores SIGTERM", d)
	}
}

// TestLabUpRepairsKilledDaemons kills lab daemons with SIGKILL and checks
// that lab-up restarts exactly those, quickly, and the lab works again.
func TestLabUpRepairsKilledDaemons(t *testing.T) {
	lab := Lab(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	h := lab.Hosts[len(lab.Hosts)-1]
	pidfiles := map[string]string{
		h.Name + ": restarting dockerd": filepath.Join(lab.Dir, "hosts", h.Name, "docker.pid"),
		h.Name + ": restarting sshd":    filepath.Join(lab.Dir, "hosts", h.Name, "sshd.pid"),
		"registry: restarting":          filepath.Join(lab.Dir, "registry", "registry.pid"),
		"build daemon: restarting":      filepath.Join(lab.Dir, "build", "docker.pid"),
	}
	for _, f := range pidfiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 %d (%s): %v", pid, f, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "test", "lab", "lab.sh"), "up", strconv.Itoa(lab.Size))
	cmd.Env = append(os.Environ(), "BERTH_LAB_DIR="+lab.Dir)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("lab.sh up after kill -9: %v\n%s", err, out)
	}
	t.Logf("lab-up repaired the lab in %s", took.Round(100*time.Millisecond))
	for want := range pidfiles {
		if !strings.Contains(string(out), want) {
			t.Errorf("lab.sh up did not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "rebuilding") {
		t.Errorf("lab.sh up rebuilt a host where restarting a daemon was enough:\n%s", out)
	}
	if took > 30*time.Second {
		t.Errorf("repair took %s", took)
	}
	// A fresh connection, verified, to the host's new sshd and new dockerd.
	hostKeys, err := knownhosts.New(lab.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := lab.DialSSH(h.Addr, hostKeys)
	if err != nil {
		t.Fatalf("ssh %s after repair: %v", h.Name, err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	got, err := sess.Output("hostname && docker info --format '{{.Name}}'")
	if err != nil || strings.Join(Lines(string(got)), " ") != h.Name+" "+h.Name {
		t.Errorf("after repair: %q %v", got, err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + Registry + "/v2/")
	if err != nil {
		t.Fatalf("registry after repair: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("registry after repair: GET /v2/ %d, want 401", resp.StatusCode)
	}
}

// TestLabRegistryHasTheImages checks every image the lab promises is in the
// registry, by its manifest.
func TestLabRegistryHasTheImages(t *testing.T) {
	lab := Lab(t)
	refs := []string{"app:v1", "app:v2", "app:v3", "app:broken", "app:unhealthy", "app:slow", "app:v1-hc",
		"cache:7", "cache:8", "kamal-proxy:v0.9.2"}
	c := &http.Client{Timeout: 5 * time.Second}
	for _, ref := range refs {
		repo, tag, _ := strings.Cut(ref, ":")
		req, err := http.NewRequest(http.MethodHead, "http://"+Registry+"/v2/"+repo+"/manifests/"+tag, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(lab.RegistryUser, lab.RegistryPassword)
		req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Docker-Content-Digest") == "" {
			t.Errorf("%s/%s: %s, digest %q", Registry, ref, resp.Status, resp.Header.Get("Docker-Content-Digest"))
		}
	}
}
