package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// This file is a host's loopback as its daemon sees it: the ports a
// client forwards to itself over SSH (tcpip-forward, as berth does for
// its local registry), reached through forwarded-tcpip channels back to
// the client, and the registry HTTP API v2 that the daemon pulls from
// and pushes to there. A daemon reached on a local unix socket
// (ServeUnix) is on the client's machine: its loopback is the real one.

// remoteForward is a port a client asked the host to forward to it.
type remoteForward struct {
	sc   *ssh.ServerConn
	addr string
	port uint32
}

// globalRequests answers a connection's global requests: tcpip-forward
// and cancel-tcpip-forward of a loopback port; nothing else. Its
// forwards end with it.
func (h *Host) globalRequests(sc *ssh.ServerConn, reqs <-chan *ssh.Request) {
	defer func() {
		h.mu.Lock()
		for p, f := range h.forwards {
			if f.sc == sc {
				delete(h.forwards, p)
			}
		}
		h.mu.Unlock()
	}()
	for req := range reqs {
		var m struct {
			Addr string
			Port uint32
		}
		ok := false
		switch req.Type {
		case "keepalive@openssh.com":
			h.keepalives.Add(1)
		case "tcpip-forward":
			if ssh.Unmarshal(req.Payload, &m) == nil && m.Port != 0 && net.ParseIP(m.Addr).IsLoopback() {
				ok = h.addForward(&remoteForward{sc: sc, addr: m.Addr, port: m.Port})
			}
		case "cancel-tcpip-forward":
			if ssh.Unmarshal(req.Payload, &m) == nil {
				h.mu.Lock()
				if f := h.forwards[m.Port]; f != nil && f.sc == sc {
					delete(h.forwards, m.Port)
					ok = true
				}
				h.mu.Unlock()
			}
		}
		if req.WantReply {
			_ = req.Reply(ok, nil)
		}
	}
}

// addForward takes a port; false if another connection has it (sshd
// cannot bind it twice).
func (h *Host) addForward(f *remoteForward) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.forwards[f.port] != nil {
		return false
	}
	if h.forwards == nil {
		h.forwards = map[uint32]*remoteForward{}
	}
	h.forwards[f.port] = f
	return true
}

// Forwarded lists the loopback ports clients forward to themselves on h.
func (h *Host) Forwarded() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int
	for p := range h.forwards {
		out = append(out, int(p))
	}
	return out
}

// dialLoopback connects to 127.0.0.1:port of the host: through the
// client's forward of it, else refused (nothing else listens there).
func (h *Host) dialLoopback(port uint32) (net.Conn, error) {
	h.mu.Lock()
	f := h.forwards[port]
	h.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("dial tcp 127.0.0.1:%d: connect: connection refused", port)
	}
	payload := ssh.Marshal(struct {
		Addr       string
		Port       uint32
		OriginAddr string
		OriginPort uint32
	}{f.addr, f.port, "127.0.0.1", 40000})
	ch, reqs, err := f.sc.OpenChannel("forwarded-tcpip", payload)
	if err != nil {
		return nil, fmt.Errorf("dial tcp 127.0.0.1:%d through the forward: %w", port, err)
	}
	go ssh.DiscardRequests(reqs)
	return &chanConn{r: ch, ch: ch, closed: make(chan struct{})}, nil
}

// loopbackClient is an HTTP client to 127.0.0.1:port as the daemon
// reaches it: the real loopback for a local daemon, else the forward.
func (h *Host) loopbackClient(local bool, port uint32) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if local {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		return h.dialLoopback(port)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
}

// loopbackPort returns the port of a "127.0.0.1:PORT" registry host.
func loopbackPort(host string) (uint32, bool) {
	h, p, err := net.SplitHostPort(host)
	if err != nil || h != "127.0.0.1" {
		return 0, false
	}
	n, err := strconv.ParseUint(p, 10, 16)
	return uint32(n), err == nil
}

// v2Has reports whether a registry has repo's manifest ref (a tag or a
// digest): what a pull asks first.
func v2Has(ctx context.Context, hc *http.Client, host, repo, ref string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+host+"/v2/"+repo+"/manifests/"+ref, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", manifestType)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("manifest for %s/%s:%s not found: manifest unknown", host, repo, ref)
	}
	return nil
}

const manifestType = "application/vnd.docker.distribution.manifest.v2+json"

// blob is a piece of a pushed image.
type blob struct {
	kind   string
	data   []byte
	digest string
}

func newBlob(kind string, data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{kind: kind, data: data, digest: "sha256:" + hex.EncodeToString(sum[:])}
}

// v2Push pushes an image of two layers and a config to a real registry
// (the HTTP API v2: blob uploads, then the manifest) and returns the
// manifest's digest; each layer's progress goes to on ("Pushed" or
// "Layer already exists").
func v2Push(ctx context.Context, hc *http.Client, host, repo, tag, id string, on func(layer, status string, size int)) (string, error) {
	l1, l2 := newBlob("layer", bytes.Repeat([]byte("base "), 400)), newBlob("layer", []byte("layer of "+id+"\n"+hash(id)))
	cfg := newBlob("config", fmt.Appendf(nil, `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q,%q]}}`, l1.digest, l2.digest))
	for _, b := range []blob{l1, l2, cfg} {
		existed, err := v2Blob(ctx, hc, host, repo, b)
		if err != nil {
			return "", err
		}
		if b.kind == "layer" {
			status := "Pushed"
			if existed {
				status = "Layer already exists"
			}
			on(b.digest[7:19], status, len(b.data))
		}
	}
	type desc struct {
		MediaType string `json:"mediaType"`
		Size      int    `json:"size"`
		Digest    string `json:"digest"`
	}
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": manifestType,
		"config": desc{"application/vnd.docker.container.image.v1+json", len(cfg.data), cfg.digest},
		"layers": []desc{{"application/vnd.docker.image.rootfs.diff.tar.gzip", len(l1.data), l1.digest},
			{"application/vnd.docker.image.rootfs.diff.tar.gzip", len(l2.data), l2.digest}}})
	resp, err := v2Do(ctx, hc, http.MethodPut, "http://"+host+"/v2/"+repo+"/manifests/"+tag, manifestType, m)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("pushing the manifest of %s/%s:%s: %s", host, repo, tag, resp.Status)
	}
	return resp.Header.Get("Docker-Content-Digest"), nil
}

// v2Blob uploads b unless the registry has it; true if it had.
func v2Blob(ctx context.Context, hc *http.Client, host, repo string, b blob) (bool, error) {
	u := "http://" + host + "/v2/" + repo + "/blobs/"
	if resp, err := v2Do(ctx, hc, http.MethodHead, u+b.digest, "", nil); err != nil {
		return false, err
	} else if resp.StatusCode == http.StatusOK {
		return true, nil
	}
	resp, err := v2Do(ctx, hc, http.MethodPost, u+"uploads/", "", nil)
	if err != nil {
		return false, err
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return false, fmt.Errorf("starting an upload to %s/%s: %s", host, repo, resp.Status)
	}
	start, _ := url.Parse(u)
	put := start.ResolveReference(loc)
	q := put.Query()
	q.Set("digest", b.digest)
	put.RawQuery = q.Encode()
	resp, err = v2Do(ctx, hc, http.MethodPut, put.String(), "application/octet-stream", b.data)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusCreated {
		return false, fmt.Errorf("uploading %s to %s/%s: %s", b.digest, host, repo, resp.Status)
	}
	return false, nil
}

// v2Do sends one request and reads its answer to the end.
func v2Do(ctx context.Context, hc *http.Client, method, u, kind string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if kind != "" {
		req.Header.Set("Content-Type", kind)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// localKey marks a request that came to a daemon on a local unix socket.
type localKey struct{}

func isLocal(r *http.Request) bool { return r.Context().Value(localKey{}) != nil }

// pullLoopback asks a registry on the daemon's loopback (berth's local
// registry) for the manifest a pull names; the fleet's registry, and any
// other, are taken to have it. Only a fleet that knows its registry
// (UseRegistry) can tell the two apart: in any other, every pull is
// taken to succeed.
func (d *Docker) pullLoopback(r *http.Request, repo, ref string) error {
	host, path, ok := strings.Cut(repo, "/")
	port, loop := loopbackPort(host)
	if !ok || !loop || d.loopback == nil || d.registry == nil || host == d.registry.Host() {
		return nil
	}
	return v2Has(r.Context(), d.loopback(isLocal(r), port), host, path, ref)
}

// pushLoopback pushes to a registry on the daemon's loopback and writes
// the progress lines; false if host is not on the loopback.
func (d *Docker) pushLoopback(r *http.Request, enc *json.Encoder, host, repo, tag, id string) (digest string, ok bool, err error) {
	port, loop := loopbackPort(host)
	if !loop || d.loopback == nil {
		return "", false, nil
	}
	digest, err = v2Push(r.Context(), d.loopback(isLocal(r), port), host, repo, tag, id, func(layer, status string, size int) {
		_ = enc.Encode(map[string]string{"status": "Preparing", "id": layer})
		if status == "Pushed" {
			_ = enc.Encode(map[string]any{"status": "Pushing", "id": layer, "progressDetail": map[string]int{"current": size, "total": size}})
		}
		_ = enc.Encode(map[string]string{"status": status, "id": layer})
	})
	return digest, true, err
}
