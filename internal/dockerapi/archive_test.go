package dockerapi

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestCopyToUploadsATarOwnedByTheContainersUser(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("PUT /containers/berth-proxy/archive", 200, "")
	c, _ := newTestClient(t, f)
	files := []File{{Path: "berth-tls/shop-web/a.crt", Mode: 0o644, Data: []byte("CERT")},
		{Path: "berth-tls/shop-web/a.key", Mode: 0o600, Data: []byte("KEY")}}
	if err := c.CopyTo(context.Background(), "berth-proxy", "/home/kamal-proxy/.config/kamal-proxy", files); err != nil {
		t.Fatal(err)
	}
	var req *recorded
	for _, r := range f.requests() {
		if r.Method == "PUT" {
			req = &r
		}
	}
	if req == nil {
		t.Fatal("no PUT")
	}
	if !strings.Contains(req.Query, "copyUIDGID=true") || !strings.Contains(req.Query, "path=%2Fhome%2Fkamal-proxy%2F.config%2Fkamal-proxy") {
		t.Errorf("query %q", req.Query)
	}
	if req.Header.Get("Content-Type") != "application/x-tar" {
		t.Errorf("content type %q", req.Header.Get("Content-Type"))
	}
	tr := tar.NewReader(bytes.NewReader([]byte(req.Body)))
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got = append(got, h.Name+" "+strings.TrimLeft(string(rune('0'+h.Mode>>6))+string(rune('0'+(h.Mode>>3)&7))+string(rune('0'+h.Mode&7)), "")+" "+string(b))
	}
	want := []string{"berth-tls/ 700 ", "berth-tls/shop-web/ 700 ", "berth-tls/shop-web/a.crt 644 CERT", "berth-tls/shop-web/a.key 600 KEY"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("archive:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
