//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/lang"
)

const transportService = "e2e-transport"

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// labDocker returns a live reader for the lab, a Docker client for its
// last host (other tests use the first ones most) and that host's name.
func labDocker(t *testing.T, l *LabEnv) (*live.Reader, *dockerapi.Client, string) {
	t.Helper()
	host := l.Hosts[len(l.Hosts)-1].Name
	r := live.NewReader(transportPool(t, l, nil), nil)
	c, err := r.Client(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	return r, c, host
}

// cleanupRun removes every container labelled with this run's id, whatever
// the test did; it asks the reader for the client again, so that it still
// works if the connection was lost meanwhile.
func cleanupRun(t *testing.T, r *live.Reader, host, run string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := r.Client(ctx, host)
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		list, err := c.List(ctx, map[string][]string{"label": {"berth-e2e.run=" + run}})
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		for _, s := range list {
			if err := c.Remove(ctx, s.ID, true); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				t.Logf("cleanup %s: %v", s.Name, err)
			}
		}
	})
}

func labAuth(l *LabEnv) *dockerapi.Auth {
	return &dockerapi.Auth{Username: l.RegistryUser, Password: l.RegistryPassword, ServerAddress: Registry}
}

func labResolver(l *LabEnv, password string) *registry.Resolver {
	return registry.New(registry.Options{Server: Registry, Username: l.RegistryUser,
		Password: lang.NewSecret(`env("REGISTRY_PASSWORD")`, password), Insecure: true})
}

// TestDockerAPILifecycle drives a container through everything the
// executor does, through the Engine API over SSH.
func TestDockerAPILifecycle(t *testing.T) {
	l := Lab(t)
	r, c, host := labDocker(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := randomSuffix()
	cleanupRun(t, r, host, run)

	// Pulling without credentials is refused by the registry.
	if err := c.Pull(ctx, Registry+"/app:v1", nil); err == nil || !strings.Contains(err.Error(), "host "+host) {
		t.Fatalf("pull without auth: %v", err)
	}
	// Pulled by tag, the host records the digest the registry API resolves
	// the tag to; pulling that digest again gives the same image.
	if err := c.Pull(ctx, Registry+"/app:v1", labAuth(l)); err != nil {
		t.Fatal(err)
	}
	digest, err := labResolver(l, l.RegistryPassword).Resolve(ctx, Registry+"/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	byTag, err := c.InspectImage(ctx, Registry+"/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(byTag.RepoDigests, Registry+"/app@"+digest) {
		t.Fatalf("RepoDigests %v do not hold the resolved digest %s", byTag.RepoDigests, digest)
	}
	ref := Registry + "/app:v1@" + digest
	if err := c.Pull(ctx, ref, labAuth(l)); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.ImageExists(ctx, ref); !ok || err != nil {
		t.Fatalf("ImageExists(%s) = %v, %v", ref, ok, err)
	}
	if img, err := c.InspectImage(ctx, ref); err != nil || img.ID != byTag.ID {
		t.Fatalf("image by digest %+v (%v) is not the image by tag %s", img, err, byTag.ID)
	}

	name := "berth-e2e-transport-" + run
	port := 20000 + int(time.Now().UnixNano()%10000)
	spec := dockerapi.CreateSpec{
		Image:  ref,
		Cmd:    []string{"/app", "serve"},
		Env:    []string{"PORT=8080", "SECRET_TOKEN=not-printed"},
		Labels: map[string]string{"berth.service": transportService, "berth.role": "web", "berth.version": "v1", "berth-e2e.run": run},
		Ports:  []dockerapi.Port{{HostPort: port, ContainerPort: 8080}},
		Healthcheck: &dockerapi.HealthConfig{Test: []string{"CMD", "/app", "check"},
			Interval: 300 * time.Millisecond, Timeout: 2 * time.Second, Retries: 3},
		StopTimeout: 5 * time.Second,
	}
	id, err := c.Create(ctx, name, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, name, spec); !errors.Is(err, dockerapi.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	if err := c.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, id); err != nil {
		t.Fatalf("start of a running container: %v", err)
	}
	info := waitHealthy(t, ctx, c, id)
	if !info.HasHealthcheck || info.Image != ref || info.Labels["berth-e2e.run"] != run || info.IPAddress == "" {
		t.Errorf("inspect: %+v", info)
	}
	// The published port answers from outside the host.
	resp, err := http.Get(fmt.Sprintf("http://%s:%d/up", l.Host(t, host).Addr, port))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "v1") {
		t.Fatalf("GET /up = %d %q", resp.StatusCode, body)
	}

	code, out, err := c.Exec(ctx, id, []string{"/app", "check"})
	if err != nil || code != 0 {
		t.Fatalf("exec /app check: %d %q %v", code, out, err)
	}
	code, out, err = c.Exec(ctx, id, []string{"/app", "no-such-subcommand"})
	if err != nil || code == 0 || len(out) == 0 {
		t.Fatalf("exec of a failing command: %d %q %v", code, out, err)
	}
	logs, err := c.Logs(ctx, id, 10)
	if err != nil || len(logs) == 0 {
		t.Fatalf("logs: %q %v", logs, err)
	}

	list, err := c.List(ctx, map[string][]string{"label": {"berth-e2e.run=" + run}})
	if err != nil || len(list) != 1 || list[0].Name != name || list[0].State != "running" || list[0].Health != "healthy" {
		t.Fatalf("list: %+v %v", list, err)
	}

	if err := c.Stop(ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx, id, 5*time.Second); err != nil {
		t.Fatalf("stop of a stopped container: %v", err)
	}
	if err := c.Rename(ctx, id, name+"-old"); err != nil {
		t.Fatal(err)
	}
	info, err = c.Inspect(ctx, name+"-old")
	if err != nil || info.State.Running || info.ID != id {
		t.Fatalf("after stop and rename: %+v %v", info, err)
	}
	if err := c.Remove(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, id, false); !errors.Is(err, dockerapi.ErrNotFound) {
		t.Fatalf("second remove: %v, want ErrNotFound", err)
	}
	if _, err := c.Inspect(ctx, id); !errors.Is(err, dockerapi.ErrNotFound) {
		t.Fatalf("inspect after remove: %v", err)
	}
}

func waitHealthy(t *testing.T, ctx context.Context, c *dockerapi.Client, id string) dockerapi.ContainerInfo {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := c.Inspect(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Health != nil && info.State.Health.Status == "healthy" {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s not healthy within 30s: %+v", id, info.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRegistryResolveOnLab resolves tags against the lab registry.
func TestRegistryResolveOnLab(t *testing.T) {
	l := Lab(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := labResolver(l, l.RegistryPassword)
	d1, err := r.Resolve(ctx, Registry+"/app:v1")
	if err != nil || !strings.HasPrefix(d1, "sha256:") {
		t.Fatalf("v1: %q %v", d1, err)
	}
	d2, err := r.Resolve(ctx, Registry+"/app:v2")
	if err != nil || d2 == d1 {
		t.Fatalf("v2: %q %v (v1 %s)", d2, err, d1)
	}
	_, err = r.Resolve(ctx, Registry+"/app:v9")
	if !errors.Is(err, registry.ErrNotFound) || !strings.Contains(err.Error(), "image "+Registry+"/app:v9 not found in registry (tag v9 does not exist)") {
		t.Errorf("v9: %v", err)
	}
	_, err = labResolver(l, "wrong").Resolve(ctx, Registry+"/app:v1")
	if !errors.Is(err, registry.ErrUnauthorized) || !strings.Contains(err.Error(), "refused credentials for user "+l.RegistryUser) || strings.Contains(err.Error(), l.RegistryPassword) {
		t.Errorf("wrong password: %v", err)
	}
	_, err = registry.New(registry.Options{Server: Registry, Insecure: true}).Resolve(ctx, Registry+"/app:v1")
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Errorf("anonymous: %v", err)
	}
}

// TestLiveReadStateOnLab checks that the live reader sees the service's
// containers, with their labels, and nothing else.
func TestLiveReadStateOnLab(t *testing.T) {
	l := Lab(t)
	host := l.Hosts[len(l.Hosts)-1].Name
	p := transportPool(t, l, nil)
	r := live.NewReader(p, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := r.Client(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	run := randomSuffix()
	cleanupRun(t, r, host, run)
	if err := c.Pull(ctx, Registry+"/app:v1", labAuth(l)); err != nil {
		t.Fatal(err)
	}
	service := "e2e-live-" + run
	mk := func(name string, labels map[string]string) {
		labels["berth-e2e.run"] = run
		if _, err := c.Create(ctx, name, dockerapi.CreateSpec{Image: Registry + "/app:v1", Cmd: []string{"/app", "work"}, Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	mk("berth-e2e-live-web-"+run, map[string]string{"berth.service": service, "berth.role": "web", "berth.version": "v1", "berth.config": "sha256:x"})
	mk("berth-e2e-live-cache-"+run, map[string]string{"berth.service": service, "berth.accessory": "cache", "berth.version": "7", "berth.config": "sha256:y"})
	mk("berth-e2e-live-other-"+run, map[string]string{"berth.service": service + "-other"})
	mk("berth-e2e-live-plain-"+run, map[string]string{})
	if err := c.Start(ctx, "berth-e2e-live-web-"+run); err != nil {
		t.Fatal(err)
	}
	hs, err := r.ReadState(ctx, host, service)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ct := range hs.Containers {
		got[ct.Name] = fmt.Sprintf("role=%s acc=%s v=%s cfg=%s state=%s", ct.Role, ct.Accessory, ct.Version, ct.ConfigHash, ct.State)
	}
	want := map[string]string{
		"berth-e2e-live-web-" + run:   "role=web acc= v=v1 cfg=sha256:x state=running",
		"berth-e2e-live-cache-" + run: "role= acc=cache v=7 cfg=sha256:y state=created",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("state:\n got %v\nwant %v", got, want)
	}
	if p.Dials() != 1 {
		t.Fatalf("Dials() = %d", p.Dials())
	}
}
