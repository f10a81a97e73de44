package sim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry is an in-memory image registry that answers the manifest
// requests of the registry HTTP API v2 (HEAD and GET
// /v2/NAME/manifests/TAG) with a Docker-Content-Digest, without auth.
type Registry struct {
	srv      *httptest.Server
	mu       sync.Mutex
	digests  map[string]string // "name:tag" -> digest
	requests atomic.Int64
}

// StartRegistry listens on a 127.0.0.1 port.
func StartRegistry() *Registry {
	r := &Registry{digests: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

// Host is "127.0.0.1:PORT", the registry part of its image references.
func (r *Registry) Host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// Close stops the registry.
func (r *Registry) Close() { r.srv.Close() }

// Requests is how many requests the registry answered.
func (r *Registry) Requests() int64 { return r.requests.Load() }

// Push makes name:tag known and returns its digest.
func (r *Registry) Push(name, tag string) string {
	d := "sha256:" + hash("image "+name+":"+tag)
	r.mu.Lock()
	r.digests[name+":"+tag] = d
	r.mu.Unlock()
	return d
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	rest, ok := strings.CutPrefix(req.URL.Path, "/v2/")
	if rest == "" && ok {
		_, _ = w.Write([]byte("{}"))
		return
	}
	name, tag, found := strings.Cut(rest, "/manifests/")
	if !ok || !found || (req.Method != http.MethodHead && req.Method != http.MethodGet) {
		http.NotFound(w, req)
		return
	}
	r.mu.Lock()
	d, known := r.digests[name+":"+tag]
	r.mu.Unlock()
	if !known {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
		return
	}
	body := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}`
	w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
	w.Header().Set("Docker-Content-Digest", d)
	if req.Method == http.MethodGet {
		_, _ = w.Write([]byte(body))
	}
}
