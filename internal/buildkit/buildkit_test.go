package buildkit

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"testing"
)

func TestTraceRoundTrip(t *testing.T) {
	in := Status{
		Vertexes: []Vertex{{Digest: "sha256:a", Name: "[1/2] RUN make", Started: true, Completed: true, Error: "exit code: 2"}, {Digest: "sha256:b", Name: "[2/2] COPY", Cached: true, Completed: true}},
		Statuses: []VertexStatus{{ID: "layer", Vertex: "sha256:a", Current: 10, Total: 20, Completed: true}},
		Logs:     []VertexLog{{Vertex: "sha256:a", Stream: 2, Data: []byte("make: *** error\n")}},
	}
	out, err := DecodeTrace(EncodeStatus(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Vertexes) != 2 || out.Vertexes[0] != in.Vertexes[0] || out.Vertexes[1] != in.Vertexes[1] {
		t.Errorf("vertexes %+v", out.Vertexes)
	}
	if len(out.Statuses) != 1 || out.Statuses[0].Current != 10 || out.Statuses[0].Total != 20 || !out.Statuses[0].Completed {
		t.Errorf("statuses %+v", out.Statuses)
	}
	if len(out.Logs) != 1 || string(out.Logs[0].Data) != "make: *** error\n" || out.Logs[0].Stream != 2 {
		t.Errorf("logs %+v", out.Logs)
	}
}

// A real trace of dockerd 20.10: "[internal] load remote build context".
func TestTraceOfDockerd(t *testing.T) {
	s, err := DecodeTrace("Cm8KR3NoYTI1NjplOTJlY2ZjMmI5ODNlODkwNzcwMWI0ZTJiNzg0Y2QyZThjOWNiY2ZmNDdmYThmMmY4MmVlOTE0OGVjMzkyNjllGiRbaW50ZXJuYWxdIGxvYWQgcmVtb3RlIGJ1aWxkIGNvbnRleHQ=")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Vertexes) != 1 || s.Vertexes[0].Name != "[internal] load remote build context" {
		t.Errorf("%+v", s)
	}
}

func TestTraceTruncated(t *testing.T) {
	if _, err := decodeStatus([]byte{0x0a, 0x10, 0x01}); err == nil {
		t.Error("a truncated message decoded")
	}
}

// call makes one unary gRPC call over HTTP/2 with prior knowledge, the
// way the daemon calls the session.
func call(t *testing.T, conn net.Conn, method string, msg []byte) (string, []byte) {
	t.Helper()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p, DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil }}
	defer tr.CloseIdleConnections()
	var body bytes.Buffer
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(msg)))
	body.Write(hdr[:])
	body.Write(msg)
	req, _ := http.NewRequest(http.MethodPost, "http://session"+method, &body)
	req.Header.Set("Content-Type", "application/grpc")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) >= 5 {
		b = b[5:]
	}
	return resp.Trailer.Get("Grpc-Status"), b
}

func TestSessionServesSecrets(t *testing.T) {
	s := NewSession("t", map[string]string{"TOKEN": "s3cret"})
	s.AddCredentials("reg:5000", Credentials{Username: "deploy", Password: "pw"})
	for _, tc := range []struct {
		method, id, status, data string
	}{
		{methodSecret, "TOKEN", "0", "s3cret"},
		{methodSecret, "OTHER", "5", ""},
		{methodHealth, "", "0", "\x08\x01"},
		{methodCreds, "reg:5000", "0", "deploy"},
		{methodCreds, "other:5000", "0", ""},
		{"/moby.filesync.v1.FileSync/DiffCopy", "", "12", ""},
	} {
		client, server := net.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, server) }()
		var req []byte
		if tc.id != "" {
			req = appendBytes(nil, 1, []byte(tc.id))
		}
		status, body := call(t, client, tc.method, req)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if status != tc.status {
			t.Errorf("%s %s: status %q, want %q", tc.method, tc.id, status, tc.status)
		}
		if tc.data != "" {
			fs, _ := fields(body)
			got := ""
			if len(fs) >= 1 {
				got = string(fs[0].bytes)
				if tc.method == methodHealth {
					got = string(body)
				}
			}
			if got != tc.data {
				t.Errorf("%s %s: data %q, want %q", tc.method, tc.id, got, tc.data)
			}
		}
	}
}
