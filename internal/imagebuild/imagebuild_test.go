package imagebuild

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/buildkit"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/lang"
)

// fakeDaemon records the build and answers with a scripted trace.
type fakeDaemon struct {
	files  []string
	opts   dockerapi.BuildOptions
	trace  []buildkit.Status
	fail   string
	pushed string
}

var _ Daemon = (*fakeDaemon)(nil)

func (d *fakeDaemon) Build(_ context.Context, r io.Reader, o dockerapi.BuildOptions, on func(dockerapi.BuildEvent)) (string, error) {
	d.opts = o
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		d.files = append(d.files, h.Name)
	}
	for _, s := range d.trace {
		on(dockerapi.BuildEvent{Trace: buildkit.EncodeStatus(s)})
	}
	if d.fail != "" {
		return "", errors.Join(dockerapi.ErrBuild, errors.New(d.fail))
	}
	return "sha256:img", nil
}

func (d *fakeDaemon) Push(_ context.Context, ref string, _ *dockerapi.Auth, on func(dockerapi.PushEvent)) (string, error) {
	d.pushed = ref
	on(dockerapi.PushEvent{Layer: "abc", Status: "Pushing", Current: 10, Total: 2048})
	on(dockerapi.PushEvent{Layer: "abc", Status: "Pushed"})
	return "sha256:pushed", nil
}

func (d *fakeDaemon) OpenSession(context.Context, dockerapi.SessionHeaders) (net.Conn, error) {
	a, b := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	return a, nil
}

type fakeRegistry map[string]string

func (r fakeRegistry) Resolve(_ context.Context, ref string) (string, error) {
	if d, ok := r[ref]; ok {
		return d, nil
	}
	return "", registry.ErrNotFound
}

func contextDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"Dockerfile": "FROM scratch\n", ".dockerignore": "*.md\nsecret/\n!keep.md\n",
		"app.txt": "x", "README.md": "no", "keep.md": "yes", "secret/key": "k", "sub/file": "f",
	} {
		p := filepath.Join(dir, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func request(dir, version string) Request {
	return Request{Service: "shop", Image: "reg/shop", Version: lang.Version{Full: version},
		Build: &lang.Build{Context: dir, Dockerfile: "Dockerfile", Args: map[string]string{"A": "1"}, CacheTo: []string{"type=inline"},
			Secrets: map[string]lang.Secret{"TOKEN": lang.NewSecret("env", "hunter2")}}}
}

func TestBuildAndPush(t *testing.T) {
	d := &fakeDaemon{trace: []buildkit.Status{{Vertexes: []buildkit.Vertex{
		{Digest: "a", Name: "[1/2] RUN make", Started: true, Completed: true, Cached: true},
		{Digest: "b", Name: "[2/2] COPY . /", Started: true, Completed: true},
		{Digest: "c", Name: "exporting to image", Started: true, Completed: true}, // shown, not a step
	}}}}
	var out bytes.Buffer
	b := &Builder{Daemon: d, Registry: fakeRegistry{}, Out: &out}
	res, err := b.Run(context.Background(), request(contextDir(t), "abc1234"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Built || res.Digest != "sha256:pushed" || res.Cached != 1 || res.Ran != 1 || res.Bytes != 2048 || d.pushed != "reg/shop:abc1234" {
		t.Errorf("result %+v, pushed %q", res, d.pushed)
	}
	sort.Strings(d.files)
	if got := strings.Join(d.files, " "); got != ".dockerignore Dockerfile app.txt keep.md sub/ sub/file" {
		t.Errorf("context: %s", got)
	}
	if d.opts.Session == "" || d.opts.Args["BUILDKIT_INLINE_CACHE"] != "1" || d.opts.Labels["org.opencontainers.image.version"] != "abc1234" {
		t.Errorf("options %+v", d.opts)
	}
	if !strings.Contains(out.String(), "[1/2] RUN make  CACHED") || !strings.Contains(out.String(), "exporting to image  done") || !strings.Contains(out.String(), "layer abc pushed (2.0 kB)") {
		t.Errorf("progress:\n%s", out.String())
	}
}

func TestFoundInRegistry(t *testing.T) {
	d := &fakeDaemon{}
	b := &Builder{Daemon: d, Registry: fakeRegistry{"reg/shop:abc1234": "sha256:there"}, Out: io.Discard}
	res, err := b.Run(context.Background(), request(contextDir(t), "abc1234"))
	if err != nil || res.Built || res.Digest != "sha256:there" || d.pushed != "" {
		t.Errorf("%+v %v", res, err)
	}
	// A dirty version is built again: its source may have changed.
	res, err = b.Run(context.Background(), request(contextDir(t), "abc1234-dirty"))
	if err != nil || !res.Built {
		t.Errorf("dirty: %+v %v", res, err)
	}
}

func TestFailedStepShowsItsLastLines(t *testing.T) {
	d := &fakeDaemon{fail: "executor failed running [/bin/sh -c make]: exit code: 2", trace: []buildkit.Status{
		{Vertexes: []buildkit.Vertex{{Digest: "a", Name: "[1/1] RUN make", Started: true}}},
		{Logs: []buildkit.VertexLog{{Vertex: "a", Data: []byte("compiling\nusing token hunter2\nmake: *** [all] Error 2")}}},
		{Vertexes: []buildkit.Vertex{{Digest: "a", Name: "[1/1] RUN make", Completed: true, Error: "exit code: 2"}}},
	}}
	var out bytes.Buffer
	b := &Builder{Daemon: d, Registry: fakeRegistry{}, Out: &out}
	_, err := b.Run(context.Background(), request(contextDir(t), "v1"))
	if !errors.Is(err, ErrBuildFailed) {
		t.Fatalf("err %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"step [1/1] RUN make: exit code: 2", "| compiling", "| make: *** [all] Error 2", "token (sensitive)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg+out.String(), "hunter2") || d.pushed != "" {
		t.Errorf("secret shown or pushed: %s", msg)
	}
}

func TestLocateDaemon(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct {
		env  []string
		want Endpoint
		err  string
	}{
		{[]string{"HOME=" + home}, Endpoint{Socket: "/var/run/docker.sock", From: "default"}, ""},
		{[]string{"DOCKER_HOST=unix:///tmp/b.sock"}, Endpoint{Socket: "/tmp/b.sock", From: "DOCKER_HOST"}, ""},
		{[]string{"DOCKER_HOST=ssh://me@builder:2222"}, Endpoint{Socket: "/var/run/docker.sock", SSHHost: "builder", SSHUser: "me", SSHPort: 2222, From: "DOCKER_HOST"}, ""},
		{[]string{"DOCKER_HOST=tcp://1.2.3.4:2375"}, Endpoint{}, "tcp://"},
		{[]string{"HOME=" + home, "DOCKER_CONTEXT=missing"}, Endpoint{}, "docker context missing"},
	} {
		got, err := LocateDaemon(tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err %v, want %q", tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v: %+v %v", tc.env, got, err)
		}
	}
}
