package live

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/test/sshxtest"
)

// listing is what the fake daemon answers: three containers of shop and
// one labelled berth.service=shop by hand (no other berth label), one of
// another service, the host's proxy (no service's, stopped) and one
// unlabelled.
const listing = `[
 {"Id":"aaa","Names":["/shop-web-v1"],"Image":"10.77.0.1:5000/shop:v1","ImageID":"sha256:111","Created":1700000000,
  "Labels":{"berth.service":"shop","berth.role":"web","berth.version":"v1","berth.config":"sha256:c1"},
  "State":"exited","Status":"Exited (0) 2 hours ago"},
 {"Id":"bbb","Names":["/shop-web-v2"],"Image":"10.77.0.1:5000/shop:v2","ImageID":"sha256:222","Created":1700000100,
  "Labels":{"berth.service":"shop","berth.role":"web","berth.version":"v2","berth.config":"sha256:c2"},
  "State":"running","Status":"Up 5 minutes (healthy)"},
 {"Id":"ccc","Names":["/shop-cache"],"Image":"10.77.0.1:5000/cache:7","ImageID":"sha256:333","Created":1700000050,
  "Labels":{"berth.service":"shop","berth.accessory":"cache","berth.version":"7","berth.config":"sha256:c3"},
  "State":"running","Status":"Up 3 days"},
 {"Id":"ddd","Names":["/other"],"Image":"nginx","ImageID":"sha256:444","Created":1700000200,"Labels":{},"State":"running","Status":"Up"},
 {"Id":"ggg","Names":["/by-hand"],"Image":"10.77.0.1:5000/shop:v2","ImageID":"sha256:222","Created":1700000010,
  "Labels":{"berth.service":"shop","berth.role":"web"},"State":"exited","Status":"Exited (0) 1 hour ago"},
 {"Id":"eee","Names":["/blog-web-v1"],"Image":"blog","ImageID":"sha256:555","Created":1700000300,"Labels":{"berth.service":"blog"},"State":"running","Status":"Up"},
 {"Id":"fff","Names":["/berth-proxy"],"Image":"basecamp/kamal-proxy:v0.9.0","ImageID":"sha256:666","Created":1700000020,"Labels":{"berth.proxy":"true","berth.version":"v0.9.0","berth.config":"sha256:c6"},"State":"exited","Status":"Exited (0) 1 hour ago"}
]`

type fakeDocker struct {
	mu      sync.Mutex
	queries []string
	fail    bool
}

func startHost(t *testing.T) (*sshxtest.Server, *fakeDocker) {
	t.Helper()
	fd := &fakeDocker{}
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		fd.mu.Lock()
		fd.queries = append(fd.queries, r.URL.Path+"?"+r.URL.RawQuery)
		fail := fd.fail
		fd.mu.Unlock()
		if fail {
			w.WriteHeader(500)
			fmt.Fprint(w, `{"message":"daemon is shutting down"}`)
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/containers/json") {
			w.WriteHeader(404)
			return
		}
		fmt.Fprint(w, listing)
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	s := sshxtest.Start(t, func(sess *sshxtest.Session) int {
		if strings.Contains(sess.Cmd, "/.berth/roster/") {
			fmt.Fprint(sess.Stdout, rosterFile)
			return 0
		}
		return 127
	})
	s.MapSocket(dockerapi.DefaultSocket, sock)
	return s, fd
}

func newReader(t *testing.T, s *sshxtest.Server) (*Reader, *sshx.Pool) {
	t.Helper()
	pool, err := sshx.NewPool(sshx.Options{
		Config: sshx.Config{User: "root", Port: 22, Identity: s.Identity, KnownHosts: s.KnownHosts,
			HostKeyPolicy: sshx.PolicyStrict, ConnectTimeout: 5 * time.Second, CommandTimeout: time.Minute},
		Hosts: []sshx.Host{{Name: "h1", Address: "127.0.0.1", Port: s.Port()}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	return NewReader(pool, nil), pool
}

// roster is the service's roster on the test host.
const rosterFile = `{"format_version":1,"service":"shop","hosts":[{"name":"h1","address":"127.0.0.1"},{"name":"h9","address":"10.77.0.19","user":"deploy","port":2222}]}`

func TestReadStateOverSSH(t *testing.T) {
	s, fd := startHost(t)
	r, pool := newReader(t, s)
	ctx := context.Background()
	hs, err := r.ReadState(ctx, "h1", "shop")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range hs.Containers {
		got = append(got, fmt.Sprintf("%s role=%s acc=%s v=%s cfg=%s %s/%s", c.Name, c.Role, c.Accessory, c.Version, c.ConfigHash, c.State, c.Health))
	}
	want := []string{
		"shop-web-v2 role=web acc= v=v2 cfg=sha256:c2 running/healthy",
		"shop-cache role= acc=cache v=7 cfg=sha256:c3 running/",
		"berth-proxy role= acc= v=v0.9.0 cfg=sha256:c6 exited/", // the host's, no service's
		"by-hand role=web acc= v= cfg= exited/",                 // labelled by hand: the service's all the same
		"shop-web-v1 role=web acc= v=v1 cfg=sha256:c1 exited/",
	}
	if hs.Host != "h1" || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("state of %s:\n%s\nwant\n%s", hs.Host, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(hs.Roster) != 2 || hs.Roster[1] != (planner.RosterHost{Name: "h9", Address: "10.77.0.19", User: "deploy", Port: 2222}) {
		t.Errorf("roster = %+v", hs.Roster)
	}
	if c := hs.Containers[0]; c.ID != "bbb" || c.Image != "10.77.0.1:5000/shop:v2" || c.ImageID != "sha256:222" || !c.Created.Equal(time.Unix(1700000100, 0)) {
		t.Errorf("container = %+v", c)
	}
	// A second read is one more request on the same connection: one
	// listing of every container (the service's, the other services',
	// the proxy and the rest).
	if _, err := r.ReadState(ctx, "h1", "shop"); err != nil {
		t.Fatal(err)
	}
	fd.mu.Lock()
	queries := fd.queries
	fd.mu.Unlock()
	joined := strings.Join(queries, " ")
	if len(queries) != 2 || strings.Contains(joined, "filters") || strings.Count(joined, "all=1") != 2 {
		t.Errorf("requests = %q", queries)
	}
	if pool.Dials() != 1 || s.Connections() != 1 {
		t.Errorf("dials %d, connections %d", pool.Dials(), s.Connections())
	}
	a, _ := r.Client(ctx, "h1")
	b, _ := r.Client(ctx, "h1")
	if a != b {
		t.Error("Client is not cached per host")
	}
}

func TestReadStateErrorsNameTheHost(t *testing.T) {
	s, fd := startHost(t)
	fd.fail = true
	r, _ := newReader(t, s)
	_, err := r.ReadState(context.Background(), "h1", "shop")
	if err == nil || !strings.Contains(err.Error(), "host h1") || !strings.Contains(err.Error(), "daemon is shutting down") {
		t.Fatalf("err = %v", err)
	}
	_, err = r.ReadState(context.Background(), "h7", "shop")
	if err == nil || !strings.Contains(err.Error(), "host h7") {
		t.Fatalf("unknown host: %v", err)
	}
}

func TestFromSummariesNeverReturnsOtherContainers(t *testing.T) {
	list := []dockerapi.ContainerSummary{
		{ID: "1", Name: "x", Labels: map[string]string{"berth.service": "shop", "berth.role": "web"}},
		{ID: "2", Name: "y", Labels: nil},
		{ID: "3", Name: "z", Labels: map[string]string{"berth.service": "shop2"}},
	}
	hs := FromSummaries("h1", "shop", list)
	if len(hs.Containers) != 1 || hs.Containers[0].ID != "1" {
		t.Fatalf("%+v", hs)
	}
	if empty := FromSummaries("h1", "shop", nil); empty.Containers == nil || len(empty.Containers) != 0 {
		t.Fatalf("empty state should have an empty, non-nil list: %+v", empty)
	}
	var _ planner.StateReader = (*Reader)(nil)
}

// Taking over a Kamal app reads its containers from the same listing:
// still one request per host.
func TestKamalTakeoverReadsTheSameListing(t *testing.T) {
	s, fd := startHost(t)
	r, _ := newReader(t, s)
	r.TakeOver(Kamal{Service: "shop"})
	if _, err := r.ReadState(context.Background(), "h1", "shop"); err != nil {
		t.Fatal(err)
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if len(fd.queries) != 1 {
		t.Errorf("requests = %q, want one listing", fd.queries)
	}
}
