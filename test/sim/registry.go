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
// /v2/NAME/manifests/TAG) with a Docker-Content-Digest, without auth
// unless SetAuth asks for it.
type Registry struct {
	srv      *httptest.Server
	mu       sync.Mutex
	digests  map[string]string // "name:tag" -> digest
	blobs    map[string]bool   // layers pushed (see push.go)
	auth     RegistryAuth
	requests atomic.Int64
}

// RegistryAuth is the login a registry asks for.
type RegistryAuth struct {
	// Username and Password are the only credentials accepted; "" = none
	// asked for.
	Username, Password string
	// Bearer: the registry answers 401 with a Bearer challenge whose realm
	// is its own /token, which gives a token for the credentials (HTTP
	// basic auth), as Docker Hub and GHCR do. Without it, the registry
	// asks for HTTP basic auth on every request.
	Bearer bool
}

// bearerToken is the one token the registry gives and accepts.
const bearerToken = "sim-registry-token"

// SetAuth makes the registry ask for a login from now on.
func (r *Registry) SetAuth(a RegistryAuth) {
	r.mu.Lock()
	r.auth = a
	r.mu.Unlock()
}

// authorized checks req's credentials, and answers 401 when they do not do.
func (r *Registry) authorized(w http.ResponseWriter, req *http.Request) bool {
	r.mu.Lock()
	a := r.auth
	r.mu.Unlock()
	if a.Username == "" {
		return true
	}
	user, pass, basic := req.BasicAuth()
	goodBasic := basic && user == a.Username && pass == a.Password
	switch {
	case req.URL.Path == "/token" && a.Bearer:
		if !goodBasic {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
			return false
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": bearerToken})
		return false // answered
	case a.Bearer && req.Header.Get("Authorization") == "Bearer "+bearerToken:
		return true
	case !a.Bearer && goodBasic:
		return true
	}
	if a.Bearer {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+r.srv.URL+`/token",service="sim-registry"`)
	} else {
		w.Header().Set("WWW-Authenticate", `Basic realm="sim-registry"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
	return false
}

// StartRegistry listens on a 127.0.0.1 port.
func StartRegistry() *Registry {
	r := &Registry{digests: map[string]string{}, blobs: map[string]bool{}}
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
	if !r.authorized(w, req) {
		return
	}
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

// pushDigest makes name:tag known with a digest of its own (a built image).
func (r *Registry) pushDigest(name, tag, digest string) {
	r.mu.Lock()
	r.digests[name+":"+tag] = digest
	r.mu.Unlock()
}

// has reports whether name:tag was pushed.
func (r *Registry) has(name, tag string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.digests[name+":"+tag]
	return ok
}

// addBlob records a pushed layer; false if the registry had it.
func (r *Registry) addBlob(layer string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.blobs[layer] {
		return false
	}
	r.blobs[layer] = true
	return true
}

// accepts reports whether a login would do for the registry (any, when
// it asks for none).
func (r *Registry) accepts(user, pass string) bool {
	r.mu.Lock()
	a := r.auth
	r.mu.Unlock()
	return a.Username == "" || user == a.Username && pass == a.Password
}
