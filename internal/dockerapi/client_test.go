package dockerapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDaemon answers like Docker 20.10 (API 1.41), from responses recorded
// on the lab's daemons (testdata/), and records the requests it got.
type fakeDaemon struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	routes  map[string]http.HandlerFunc // "METHOD /path" without version
	version string
}

type recorded struct {
	Method, Path, Query, Body string
	Header                    http.Header
}

func newFakeDaemon(t *testing.T) *fakeDaemon {
	t.Helper()
	f := &fakeDaemon{t: t, routes: map[string]http.HandlerFunc{}, version: "1.41"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDaemon) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Clone()})
	f.mu.Unlock()
	w.Header().Set("Api-Version", f.version)
	if r.URL.Path == "/_ping" {
		io.WriteString(w, "OK")
		return
	}
	path := r.URL.Path
	if !strings.HasPrefix(path, "/v"+f.version+"/") && !strings.HasPrefix(path, "/v1.40/") && !strings.HasPrefix(path, "/v1.43/") {
		http.Error(w, "unexpected version in "+path, 400)
		return
	}
	path = path[strings.Index(path[1:], "/")+1:]
	h, ok := f.routes[r.Method+" "+path]
	if !ok {
		w.WriteHeader(404)
		io.WriteString(w, `{"message":"page not found"}`)
		return
	}
	h(w, r)
}

func (f *fakeDaemon) handle(route string, status int, file string) {
	f.routes[route] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if file != "" {
			w.Write(readTestdata(f.t, file))
		}
	}
}

func (f *fakeDaemon) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tcpDialer stands for an SSH connection: it counts the connections opened
// and checks that the client asks for the docker socket.
type tcpDialer struct {
	addr  string
	dials atomic.Int64
	t     *testing.T
}

func (d *tcpDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "unix" || addr != DefaultSocket {
		d.t.Errorf("dial %s %s, want unix %s", network, addr, DefaultSocket)
	}
	d.dials.Add(1)
	return (&net.Dialer{}).DialContext(ctx, "tcp", d.addr)
}

func newTestClient(t *testing.T, f *fakeDaemon) (*Client, *tcpDialer) {
	d := &tcpDialer{addr: strings.TrimPrefix(f.srv.URL, "http://"), t: t}
	c := New(d, WithHost("h2"))
	t.Cleanup(c.Close)
	return c, d
}

func TestListParsesRecordedAnswerInOneRequest(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("GET /containers/json", 200, "list.json")
	c, d := newTestClient(t, f)
	got, err := c.List(context.Background(), map[string][]string{"label": {"berth.service=e2e-transport"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d containers", len(got))
	}
	byName := map[string]ContainerSummary{}
	for _, s := range got {
		byName[s.Name] = s
	}
	web := byName["berth-e2e-transport-rec"]
	if web.State != "running" || web.Health != "healthy" || web.Labels["berth.role"] != "web" ||
		web.Image != "10.77.0.1:5000/app:v1" || !strings.HasPrefix(web.ImageID, "sha256:") || web.Created.IsZero() || len(web.ID) != 64 {
		t.Errorf("web = %+v", web)
	}
	worker := byName["berth-e2e-transport-rec2"]
	if worker.State != "exited" || worker.Health != "" || worker.Labels["berth.version"] != "v0" {
		t.Errorf("worker = %+v", worker)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %+v, want one list", reqs)
	}
	if q := reqs[0].Query; !strings.Contains(q, "all=1") || !strings.Contains(q, "filters=%7B%22label%22%3A%5B%22berth.service%3De2e-transport%22%5D%7D") {
		t.Errorf("query = %s", q)
	}
	if d.dials.Load() != 1 {
		t.Errorf("dials = %d, want 1 (keep-alive)", d.dials.Load())
	}
}

func TestHealthFromStatus(t *testing.T) {
	for status, want := range map[string]string{
		"Up 3 minutes (healthy)":         "healthy",
		"Up 1 second (health: starting)": "starting",
		"Up 2 hours (unhealthy)":         "unhealthy",
		"Up 2 hours":                     "",
		"Exited (1) 3 seconds ago":       "",
		"Created":                        "",
	} {
		if got := healthFromStatus(status); got != want {
			t.Errorf("%q: %q, want %q", status, got, want)
		}
	}
}

func TestInspectRecorded(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("GET /containers/berth-e2e-transport-rec/json", 200, "inspect_healthy.json")
	f.handle("GET /containers/berth-e2e-transport-rec2/json", 200, "inspect_exited.json")
	c, _ := newTestClient(t, f)
	info, err := c.Inspect(context.Background(), "berth-e2e-transport-rec")
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "berth-e2e-transport-rec" || info.Image != "10.77.0.1:5000/app:v1" || !strings.HasPrefix(info.ImageID, "sha256:") ||
		!info.State.Running || info.State.StartedAt.IsZero() || !info.State.FinishedAt.IsZero() || !info.HasHealthcheck ||
		info.IPAddress != "172.17.0.2" || info.Labels["berth.service"] != "e2e-transport" {
		t.Errorf("info = %+v", info)
	}
	h := info.State.Health
	if h == nil || h.Status != "healthy" || len(h.Log) == 0 || h.Log[0].ExitCode != 0 || h.Log[0].End.Before(h.Log[0].Start) {
		t.Errorf("health = %+v", h)
	}
	ex, err := c.Inspect(context.Background(), "berth-e2e-transport-rec2")
	if err != nil {
		t.Fatal(err)
	}
	if ex.State.Running || ex.State.Status != "exited" || ex.HasHealthcheck || ex.State.Health != nil || ex.State.FinishedAt.IsZero() {
		t.Errorf("exited = %+v", ex)
	}
}

func TestNotFoundAndConflict(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["GET /containers/nope/json"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"message":"No such container: nope"}`)
	}
	f.routes["DELETE /containers/nope"] = f.routes["GET /containers/nope/json"]
	f.handle("POST /containers/create", 409, "create_conflict.json")
	c, _ := newTestClient(t, f)
	_, err := c.Inspect(context.Background(), "nope")
	if !errors.Is(err, ErrNotFound) || err.Error() != "host h2: docker inspect nope: No such container: nope" {
		t.Errorf("inspect: %v", err)
	}
	err = c.Remove(context.Background(), "nope", true)
	var apiErr *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Errorf("remove: %v", err)
	}
	_, err = c.Create(context.Background(), "berth-e2e-transport-rec", CreateSpec{Image: "x", Env: []string{"DB_PASSWORD=s3cret"}})
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "docker create berth-e2e-transport-rec") {
		t.Errorf("create: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Error("secret in error")
	}
}

func TestCreateSendsTheAPIShape(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("POST /containers/create", 201, "create.json")
	c, _ := newTestClient(t, f)
	id, err := c.Create(context.Background(), "shop-web-v1", CreateSpec{
		Image:  "10.77.0.1:5000/app:v1@sha256:fd0b",
		Cmd:    []string{"/app", "serve"},
		Env:    []string{"PORT=8080"},
		Labels: map[string]string{"berth.service": "shop"},
		Ports:  []Port{{HostPort: 80, ContainerPort: 8080}, {HostIP: "127.0.0.1", HostPort: 53, ContainerPort: 53, Protocol: "udp"}},
		Binds:  []string{"/srv/data:/data:ro"},
		Healthcheck: &HealthConfig{Test: []string{"CMD", "/app", "check"}, Interval: time.Second,
			Timeout: 2 * time.Second, StartPeriod: 500 * time.Millisecond, Retries: 3},
		StopTimeout:   1500 * time.Millisecond,
		RestartPolicy: "unless-stopped",
	})
	if err != nil || id != "1c989de872083fb514af93c9ff3038ba548cf28acd5ceb0a7200e2ff3372d40e" {
		t.Fatalf("id %q, %v", id, err)
	}
	r := f.requests()[0]
	if r.Query != "name=shop-web-v1" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %+v", r)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"Cmd":["/app","serve"],"Env":["PORT=8080"],"ExposedPorts":{"53/udp":{},"8080/tcp":{}},` +
		`"Healthcheck":{"Interval":1000000000,"Retries":3,"StartPeriod":500000000,"Test":["CMD","/app","check"],"Timeout":2000000000},` +
		`"HostConfig":{"Binds":["/srv/data:/data:ro"],"PortBindings":{"53/udp":[{"HostIp":"127.0.0.1","HostPort":"53"}],"8080/tcp":[{"HostIp":"","HostPort":"80"}]},"RestartPolicy":{"Name":"unless-stopped"}},` +
		`"Image":"10.77.0.1:5000/app:v1@sha256:fd0b","Labels":{"berth.service":"shop"},"StopTimeout":2}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("body\n got %s\nwant %s", b, want)
	}
}

func TestStartStopTreat304AsSuccess(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("POST /containers/x/start", 304, "")
	f.handle("POST /containers/x/stop", 304, "")
	f.handle("POST /containers/x/rename", 204, "")
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	if err := c.Start(ctx, "x"); err != nil {
		t.Error(err)
	}
	if err := c.Stop(ctx, "x", 2500*time.Millisecond); err != nil {
		t.Error(err)
	}
	if err := c.Rename(ctx, "x", "x-old"); err != nil {
		t.Error(err)
	}
	reqs := f.requests()
	if reqs[1].Query != "t=3" || reqs[2].Query != "name=x-old" {
		t.Errorf("queries %q %q", reqs[1].Query, reqs[2].Query)
	}
}

func TestPull(t *testing.T) {
	f := newFakeDaemon(t)
	var stream []byte
	var status int
	f.routes["POST /images/create"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(stream)
	}
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	auth := &Auth{Username: "deploy", Password: "pw-secret", ServerAddress: "10.77.0.1:5000"}

	stream, status = readTestdata(t, "pull_ok.json"), 200
	if err := c.Pull(ctx, "10.77.0.1:5000/app:v1", auth); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[len(f.requests())-1]
	if r.Query != "fromImage=10.77.0.1%3A5000%2Fapp&tag=v1" {
		t.Errorf("query %s", r.Query)
	}
	raw, err := base64.URLEncoding.DecodeString(r.Header.Get("X-Registry-Auth"))
	if err != nil || string(raw) != `{"username":"deploy","password":"pw-secret","serveraddress":"10.77.0.1:5000"}` {
		t.Errorf("auth header %q %v", raw, err)
	}

	stream = []byte(`{"status":"Pulling from app","id":"v1"}` + "\n" + `{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}` + "\n")
	err = c.Pull(ctx, "10.77.0.1:5000/app:v1@sha256:fd0b", nil)
	if !errors.Is(err, ErrPull) || !strings.Contains(err.Error(), "unexpected EOF") || !strings.Contains(err.Error(), "docker pull 10.77.0.1:5000/app:v1@sha256:fd0b") {
		t.Errorf("stream error: %v", err)
	}
	r = f.requests()[len(f.requests())-1]
	if r.Query != "fromImage=10.77.0.1%3A5000%2Fapp&tag=sha256%3Afd0b" || r.Header.Get("X-Registry-Auth") != "" {
		t.Errorf("digest pull: %+v", r)
	}

	stream, status = readTestdata(t, "pull_noauth.json"), 500
	err = c.Pull(ctx, "10.77.0.1:5000/app:v1", nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 500 || !strings.Contains(err.Error(), "no basic auth credentials") {
		t.Errorf("no auth: %v", err)
	}
	stream, status = readTestdata(t, "pull_error.json"), 404
	if err = c.Pull(ctx, "10.77.0.1:5000/app:v9", auth); !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("missing tag: %v", err)
	}
}

func TestSplitRef(t *testing.T) {
	for ref, want := range map[string][3]string{
		"10.77.0.1:5000/app:v1":              {"10.77.0.1:5000/app", "v1", ""},
		"10.77.0.1:5000/app":                 {"10.77.0.1:5000/app", "", ""},
		"10.77.0.1:5000/app:v1@sha256:ab12":  {"10.77.0.1:5000/app", "v1", "sha256:ab12"},
		"10.77.0.1:5000/app@sha256:ab12":     {"10.77.0.1:5000/app", "", "sha256:ab12"},
		"nginx":                              {"nginx", "", ""},
		"library/nginx:1.25":                 {"library/nginx", "1.25", ""},
		"localhost:5000/team/app:2024.1-rc1": {"localhost:5000/team/app", "2024.1-rc1", ""},
	} {
		r, tg, d := SplitRef(ref)
		if [3]string{r, tg, d} != want {
			t.Errorf("SplitRef(%q) = %q %q %q, want %q", ref, r, tg, d, want)
		}
	}
}

func TestImages(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("GET /images/10.77.0.1:5000/app:v1/json", 200, "image_inspect.json")
	f.routes["GET /images/10.77.0.1:5000/app:v9/json"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		io.WriteString(w, `{"message":"no such image: 10.77.0.1:5000/app:v9: No such image: 10.77.0.1:5000/app:v9"}`)
	}
	f.routes["DELETE /images/10.77.0.1:5000/app:v1"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(409)
		io.WriteString(w, `{"message":"conflict: unable to remove repository reference \"10.77.0.1:5000/app:v1\" (must force) - container 1c989de87208 is using its referenced image b088c02c071f"}`)
	}
	c, _ := newTestClient(t, f)
	ctx := context.Background()
	if ok, err := c.ImageExists(ctx, "10.77.0.1:5000/app:v1"); !ok || err != nil {
		t.Errorf("v1: %v %v", ok, err)
	}
	if ok, err := c.ImageExists(ctx, "10.77.0.1:5000/app:v9"); ok || err != nil {
		t.Errorf("v9: %v %v", ok, err)
	}
	info, err := c.InspectImage(ctx, "10.77.0.1:5000/app:v1")
	if err != nil || len(info.RepoDigests) != 1 || !strings.HasPrefix(info.RepoDigests[0], "10.77.0.1:5000/app@sha256:") {
		t.Errorf("inspect image: %+v %v", info, err)
	}
	if err := c.RemoveImage(ctx, "10.77.0.1:5000/app:v1"); !errors.Is(err, ErrConflict) {
		t.Errorf("remove image: %v", err)
	}
}

func TestExecDemuxesAndReadsExitCode(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["POST /containers/web/exec"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, `{"Id":"7d24a98f"}`)
	}
	f.routes["POST /exec/7d24a98f/start"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.docker.raw-stream")
		w.Write(readTestdata(t, "exec_start.raw"))
	}
	f.handle("GET /exec/7d24a98f/json", 200, "exec_inspect.json")
	c, _ := newTestClient(t, f)
	code, out, err := c.Exec(context.Background(), "web", []string{"/app", "bogus"})
	if err != nil || code != 1 || !bytes.HasSuffix(out, []byte("unknown subcommand \"bogus\" (serve, check, work, cache, version)\n")) ||
		!bytes.HasPrefix(out, []byte("app v1:")) {
		t.Fatalf("code %d out %q err %v", code, out, err)
	}
	var body map[string]any
	json.Unmarshal([]byte(f.requests()[0].Body), &body)
	if b, _ := json.Marshal(body); string(b) != `{"AttachStderr":true,"AttachStdout":true,"Cmd":["/app","bogus"]}` {
		t.Errorf("exec create body %s", b)
	}
}

func frame(stream byte, s string) []byte {
	h := make([]byte, 8, 8+len(s))
	h[0] = stream
	binary.BigEndian.PutUint32(h[4:], uint32(len(s)))
	return append(h, s...)
}

func TestLogs(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["GET /containers/w/logs"] = func(w http.ResponseWriter, r *http.Request) {
		w.Write(readTestdata(t, "logs.raw"))
	}
	c, _ := newTestClient(t, f)
	out, err := c.Logs(context.Background(), "w", 2)
	if err != nil || strings.Count(string(out), "\n") != 2 || !strings.Contains(string(out), "tick") {
		t.Fatalf("logs %q %v", out, err)
	}
	if q := f.requests()[0].Query; q != "stderr=1&stdout=1&tail=2" {
		t.Errorf("query %s", q)
	}
}

func TestLogsFollowStopsWithContext(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["GET /containers/w/logs"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := 0; ; i++ {
			if _, err := w.Write(frame(byte(1+i%2), "line\n")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	c, _ := newTestClient(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- c.LogsFollow(ctx, "w", time.Unix(1700000000, 0), pw); pw.Close() }()
	buf := make([]byte, 15)
	if _, err := io.ReadFull(pr, buf); err != nil || string(buf) != "line\nline\nline\n" {
		t.Fatalf("read %q %v", buf, err)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("LogsFollow did not stop")
	}
	if q := f.requests()[0].Query; q != "follow=1&since=1700000000&stderr=1&stdout=1" {
		t.Errorf("query %s", q)
	}
}

func TestDemuxRejectsGarbage(t *testing.T) {
	var out bytes.Buffer
	in := append(frame(1, "ok\n"), []byte("HTTP/1.1 garbage!")...)
	if err := demux(&out, bytes.NewReader(in)); err == nil || out.String() != "ok\n" {
		t.Fatalf("err %v out %q", err, out.String())
	}
}

func TestVersionNegotiation(t *testing.T) {
	for daemon, want := range map[string]string{"1.41": "1.41", "1.45": "1.43", "1.40": "1.40", "1.39": "", "": "1.40"} {
		got, err := negotiate(daemon)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("negotiate(%q) = %q, %v; want %q", daemon, got, err, want)
		}
	}
	f := newFakeDaemon(t)
	f.version = "1.47"
	f.handle("GET /containers/json", 200, "list.json")
	c, _ := newTestClient(t, f)
	for range 3 {
		if _, err := c.List(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.requests()
	if len(reqs) != 3 || reqs[0].Path != "/v1.40/containers/json" || reqs[1].Path != "/v1.43/containers/json" {
		t.Fatalf("requests %+v", reqs)
	}
	if v, _ := c.APIVersion(context.Background()); v != "1.43" || len(f.requests()) != 3 {
		t.Fatalf("APIVersion = %s after %d requests", v, len(f.requests()))
	}
	// A daemon older than MinAPIVersion is refused with a clear message.
	old := newFakeDaemon(t)
	old.version = "1.39"
	old.routes["GET /containers/json"] = func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"message":"client version 1.40 is too new. Maximum supported API version is 1.39"}`)
	}
	oc, _ := newTestClient(t, old)
	if _, err := oc.List(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "upgrade Docker") {
		t.Fatalf("old daemon: %v", err)
	}
	// An explicit ping settles the version without another call.
	pc, _ := newTestClient(t, f)
	if v, err := pc.APIVersion(context.Background()); v != "1.43" || err != nil {
		t.Fatalf("ping: %s %v", v, err)
	}
}

func TestConcurrentRequestsReuseConnections(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("GET /containers/json", 200, "list.json")
	c, d := newTestClient(t, f)
	if _, err := c.APIVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if _, err := c.List(context.Background(), nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// net/http may dial a spare connection while one is on its way back
	// to the idle pool; without keep-alive this would be 100.
	if n := d.dials.Load(); n > 12 {
		t.Fatalf("%d dials for 100 requests from 4 goroutines", n)
	}
}

// An answer bigger than the connection's buffers, followed by white space
// (Docker ends its JSON with a newline), still gives the connection back:
// the JSON decoder stops at the end of the value, and the rest is read.
func TestBigAnswersKeepTheConnection(t *testing.T) {
	f := newFakeDaemon(t)
	var list []map[string]any
	for i := range 100 {
		list = append(list, map[string]any{"Id": fmt.Sprintf("%064d", i), "Names": []string{fmt.Sprintf("/c%d", i)},
			"Labels": map[string]string{"berth.service": "s", "note": strings.Repeat("x", 200)}})
	}
	body, _ := json.Marshal(list)
	f.routes["GET /containers/json"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
		// More than a newline after the JSON (8 kB of white space), so
		// that the decoder surely stops before the end of the body.
		w.Write([]byte("\n" + strings.Repeat(" ", 8<<10)))
	}
	c, d := newTestClient(t, f)
	for range 50 {
		got, err := c.List(context.Background(), nil)
		if err != nil || len(got) != 100 {
			t.Fatalf("%d containers, %v", len(got), err)
		}
	}
	if n := d.dials.Load(); n != 1 {
		t.Fatalf("%d dials for 50 answers of %d kB, one after the other", n, len(body)>>10)
	}
}

type failingDialer struct{}

func (failingDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New(`host h3 (10.77.0.13:22): forwarding to unix /var/run/docker.sock: ssh: rejected: connect failed ("open failed")`)
}

func TestDaemonUnreachable(t *testing.T) {
	c := New(failingDialer{}, WithHost("h3"))
	_, err := c.List(context.Background(), nil)
	if !errors.Is(err, ErrDaemonUnreachable) || !strings.Contains(err.Error(), "is dockerd running") ||
		!strings.HasPrefix(err.Error(), "host h3: docker list containers: cannot reach the Docker daemon at /var/run/docker.sock") ||
		strings.Contains(err.Error(), "http://docker") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthNeverPrintsPassword(t *testing.T) {
	a := Auth{Username: "deploy", Password: "pw-secret", ServerAddress: "10.77.0.1:5000"}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), fmt.Sprintf("%v", &a)} {
		if strings.Contains(s, "pw-secret") {
			t.Errorf("password printed: %s", s)
		}
	}
}

func TestDemuxSplitsStdoutAndStderr(t *testing.T) {
	frame := func(stream byte, s string) []byte {
		h := []byte{stream, 0, 0, 0, 0, 0, 0, byte(len(s))}
		return append(h, s...)
	}
	in := append(append(frame(1, "out\n"), frame(2, "err\n")...), frame(1, "more\n")...)
	var out, errw bytes.Buffer
	if err := Demux(&out, &errw, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if out.String() != "out\nmore\n" || errw.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errw.String())
	}
}
