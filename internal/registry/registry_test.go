package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// secret is a registry password in a test.
type secret string

func (s secret) Value() string { return string(s) }

const manifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}`

var manifestDigest = func() string {
	s := sha256.Sum256([]byte(manifest))
	return "sha256:" + hex.EncodeToString(s[:])
}()

// fakeRegistry serves one repository "app" with tag "v1".
type fakeRegistry struct {
	srv       *httptest.Server
	auth      string // "", "basic" or "bearer"
	noHead    bool   // HEAD answers without Docker-Content-Digest
	mu        sync.Mutex
	manifests int // manifest requests
	tokens    int // token requests
	authSeen  []string
	accept    string
}

func newRegistry(t *testing.T, auth string, tls bool) *fakeRegistry {
	t.Helper()
	f := &fakeRegistry{auth: auth}
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.tokens++
		f.mu.Unlock()
		if u, p, ok := r.BasicAuth(); !ok || u != "deploy" || p != "right" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("scope") != "repository:app:pull" || r.URL.Query().Get("service") != "lab" {
			http.Error(w, "bad scope "+r.URL.RawQuery, 400)
			return
		}
		fmt.Fprint(w, `{"token":"tok-123"}`)
	})
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.manifests++
		f.authSeen = append(f.authSeen, r.Header.Get("Authorization"))
		f.accept = r.Header.Get("Accept")
		f.mu.Unlock()
		switch f.auth {
		case "basic":
			if u, p, ok := r.BasicAuth(); !ok || u != "deploy" || p != "right" {
				w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		case "bearer":
			if r.Header.Get("Authorization") != "Bearer tok-123" {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="lab",scope="repository:app:pull"`, f.srv.URL))
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		switch r.URL.Path {
		case "/v2/": // the API version check
		case "/v2/app/manifests/v1":
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
			if !(f.noHead && r.Method == http.MethodHead) && !(f.noHead && r.Method == http.MethodGet) {
				w.Header().Set("Docker-Content-Digest", manifestDigest)
			}
			if r.Method == http.MethodGet {
				fmt.Fprint(w, manifest)
			}
		case "/v2/app/manifests/v9":
			w.WriteHeader(404)
			if r.Method == http.MethodGet {
				fmt.Fprint(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`)
			}
		default:
			w.WriteHeader(404)
			if r.Method == http.MethodGet {
				fmt.Fprint(w, `{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}`)
			}
		}
	})
	if tls {
		f.srv = httptest.NewTLSServer(mux)
	} else {
		f.srv = httptest.NewServer(mux)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRegistry) host() string {
	return strings.TrimPrefix(strings.TrimPrefix(f.srv.URL, "https://"), "http://")
}

func (f *fakeRegistry) resolver(password string) *Resolver {
	return New(Options{Server: f.host(), Username: "deploy", Password: secret(password),
		Insecure: strings.HasPrefix(f.srv.URL, "http://"), Client: f.srv.Client()})
}

func TestResolve(t *testing.T) {
	for _, auth := range []string{"", "basic", "bearer"} {
		for _, tls := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s-tls=%v", auth, tls), func(t *testing.T) {
				f := newRegistry(t, auth, tls)
				r := f.resolver("right")
				ref := f.host() + "/app:v1"
				d, err := r.Resolve(context.Background(), ref)
				if err != nil || d != manifestDigest {
					t.Fatalf("Resolve = %q, %v", d, err)
				}
				if !strings.Contains(f.accept, "application/vnd.oci.image.index.v1+json") ||
					!strings.Contains(f.accept, "application/vnd.docker.distribution.manifest.list.v2+json") {
					t.Errorf("Accept = %q", f.accept)
				}
				// Cached: no second request.
				before := f.manifests
				if d2, err := r.Resolve(context.Background(), ref); err != nil || d2 != d || f.manifests != before {
					t.Errorf("second Resolve asked again (%d -> %d)", before, f.manifests)
				}
				if auth == "bearer" && f.tokens != 1 {
					t.Errorf("token requests = %d", f.tokens)
				}
			})
		}
	}
}

func TestTokenAndBasicReusedAcrossTags(t *testing.T) {
	for _, auth := range []string{"basic", "bearer"} {
		f := newRegistry(t, auth, false)
		r := f.resolver("right")
		r.Resolve(context.Background(), f.host()+"/app:v1")
		n := f.manifests
		_, err := r.Resolve(context.Background(), f.host()+"/app:v9")
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: %v", auth, err)
		}
		// HEAD 404 then GET 404 for the message; both authorised up front.
		if f.manifests-n != 2 || f.authSeen[len(f.authSeen)-1] == "" || f.tokens > 1 {
			t.Errorf("%s: %d requests, auth %q, tokens %d", auth, f.manifests-n, f.authSeen, f.tokens)
		}
	}
}

func TestNotFoundMessages(t *testing.T) {
	f := newRegistry(t, "", false)
	r := f.resolver("")
	_, err := r.Resolve(context.Background(), f.host()+"/app:v9")
	want := fmt.Sprintf("image %s/app:v9 not found in registry (tag v9 does not exist)", f.host())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), want) {
		t.Errorf("tag: %v", err)
	}
	_, err = r.Resolve(context.Background(), f.host()+"/nope:v1")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "repository nope does not exist") {
		t.Errorf("repo: %v", err)
	}
}

func TestWrongCredentials(t *testing.T) {
	for _, auth := range []string{"basic", "bearer"} {
		f := newRegistry(t, auth, false)
		_, err := f.resolver("wrong-pass").Resolve(context.Background(), f.host()+"/app:v1")
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "registry "+f.host()+" refused credentials for user deploy") {
			t.Errorf("%s: %v", auth, err)
		}
		if strings.Contains(err.Error(), "wrong-pass") {
			t.Errorf("%s: password in error", auth)
		}
	}
}

func TestNoCredentialsForLoginRegistry(t *testing.T) {
	f := newRegistry(t, "basic", false)
	r := New(Options{Server: f.host(), Insecure: true})
	_, err := r.Resolve(context.Background(), f.host()+"/app:v1")
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "requires a login") {
		t.Errorf("%v", err)
	}
}

func TestCredentialsOnlyForTheConfiguredServer(t *testing.T) {
	f := newRegistry(t, "basic", true)
	r := New(Options{Server: "10.77.0.1:5000", Username: "deploy", Password: secret("right"), Client: f.srv.Client()})
	_, err := r.Resolve(context.Background(), f.host()+"/app:v1")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("%v", err)
	}
	for _, a := range f.authSeen {
		if a != "" {
			t.Fatalf("credentials sent to another registry: %q", a)
		}
	}
}

func TestPlainHTTPOnlyWhenInsecure(t *testing.T) {
	f := newRegistry(t, "", false)
	r := New(Options{Server: f.host()})
	if _, err := r.Resolve(context.Background(), f.host()+"/app:v1"); err == nil || f.manifests != 0 {
		t.Fatalf("spoke plain http without Insecure (err %v, %d requests)", err, f.manifests)
	}
}

func TestGetFallbackHashesBody(t *testing.T) {
	f := newRegistry(t, "basic", false)
	f.noHead = true
	d, err := f.resolver("right").Resolve(context.Background(), f.host()+"/app:v1")
	if err != nil || d != manifestDigest {
		t.Fatalf("%q %v", d, err)
	}
}

func TestPinnedDigestNeedsNoRequest(t *testing.T) {
	f := newRegistry(t, "", false)
	pinned := "sha256:" + strings.Repeat("ab", 32)
	d, err := f.resolver("").Resolve(context.Background(), f.host()+"/app:v1@"+pinned)
	if err != nil || d != pinned || f.manifests != 0 {
		t.Fatalf("%q %v %d", d, err, f.manifests)
	}
	if _, err := f.resolver("").Resolve(context.Background(), "app@sha256:short"); !errors.Is(err, ErrBadReference) {
		t.Fatalf("bad digest: %v", err)
	}
}

// Two tags resolved at once both meet the Basic challenge; each must end
// with credentials rather than take the other's challenge for a refusal.
func TestConcurrentBasicChallenges(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != "deploy" || p != "right" {
			w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Docker-Content-Digest", manifestDigest)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	r := New(Options{Server: host, Username: "deploy", Password: secret("right"), Insecure: true, Client: srv.Client()})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, tag := range []string{"v1", "v2"} {
		wg.Go(func() { _, errs[i] = r.Resolve(context.Background(), host+"/app:"+tag) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
