package dockerapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLogStreamOptions(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["GET /containers/web/logs"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
		w.Write(frame(1, "2026-01-01T00:00:00.000000001Z out\n"))
		w.Write(frame(2, "2026-01-01T00:00:01.000000001Z err\n"))
	}
	c, _ := newTestClient(t, f)
	var out strings.Builder
	since := time.Unix(1700000000, 500000000)
	err := c.LogStream(context.Background(), "web", LogOptions{Since: since, Tail: 5, Follow: true, Timestamps: true}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "2026-01-01T00:00:00.000000001Z out\n2026-01-01T00:00:01.000000001Z err\n" {
		t.Errorf("out = %q", out.String())
	}
	q := f.requests()[0].Query
	for _, want := range []string{"tail=5", "follow=1", "timestamps=1", "since=1700000000.500000000", "stdout=1", "stderr=1"} {
		if !strings.Contains(q, want) {
			t.Errorf("query %s lacks %s", q, want)
		}
	}
}

func TestWaitAndListImages(t *testing.T) {
	f := newFakeDaemon(t)
	f.routes["POST /containers/job/wait"] = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("condition") != "next-exit" {
			w.WriteHeader(400)
			return
		}
		io.WriteString(w, `{"StatusCode":3}`)
	}
	f.routes["GET /images/json"] = func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"Id":"sha256:aa","RepoTags":["reg/app:v1"],"RepoDigests":["reg/app@sha256:bb"],"Created":1700000000,"Size":42}]`)
	}
	c, _ := newTestClient(t, f)
	code, err := c.Wait(context.Background(), "job", "next-exit")
	if err != nil || code != 3 {
		t.Errorf("Wait = %d, %v; want 3", code, err)
	}
	imgs, err := c.ListImages(context.Background())
	if err != nil || len(imgs) != 1 || imgs[0].ID != "sha256:aa" || imgs[0].RepoDigests[0] != "reg/app@sha256:bb" || imgs[0].Created.Unix() != 1700000000 {
		t.Errorf("ListImages = %+v, %v", imgs, err)
	}
}

func TestCreateOneOffShape(t *testing.T) {
	b, err := json.Marshal(CreateSpec{Image: "i", AutoRemove: true, Tty: true, OpenStdin: true}.body())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	hc, _ := got["HostConfig"].(map[string]any)
	if hc["AutoRemove"] != true || got["Tty"] != true || got["OpenStdin"] != true || got["StdinOnce"] != true || got["AttachStdin"] != true {
		t.Errorf("body = %s", b)
	}
	b, _ = json.Marshal(CreateSpec{Image: "i"}.body())
	if strings.Contains(string(b), "AutoRemove") || strings.Contains(string(b), "Tty") || strings.Contains(string(b), "Stdin") {
		t.Errorf("a plain create carries one-off fields: %s", b)
	}
}
