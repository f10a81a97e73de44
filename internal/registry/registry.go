package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/berth-sh/berth/internal/imageref"
)

// Sentinel errors for errors.Is.
var (
	// ErrNotFound: the repository or the tag does not exist.
	ErrNotFound = errors.New("image not found in registry")
	// ErrUnauthorized: the registry refused the credentials (or wants some).
	ErrUnauthorized = errors.New("registry refused access")
	// ErrBadReference: the reference cannot be resolved as written.
	ErrBadReference = errors.New("bad image reference")
)

// DefaultTimeout bounds one Resolve when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Secret is a value that is never printed (lang.Secret is one).
type Secret interface{ Value() string }

// Options configure a Resolver.
type Options struct {
	Server   string // the registry the credentials belong to, e.g. "10.77.0.1:5000"
	Username string
	Password Secret       // nil = none
	Insecure bool         // plain http allowed for Server
	Client   *http.Client // nil = a client of its own
	Timeout  time.Duration
}

// Resolver resolves tags to digests. It is safe for concurrent use and
// remembers what it resolved, so a run asks the registry once per tag.
type Resolver struct {
	opts Options
	// login speaks to Server with the credentials, anon to every other
	// registry; each keeps its tokens per repository.
	login, anon *remote.Puller

	mu      sync.Mutex
	digests map[string]string // ref -> digest
}

// New returns a resolver.
func New(opts Options) *Resolver {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	opts.Server = normalizeHost(opts.Server)
	base := http.RoundTripper(remote.DefaultTransport)
	if opts.Client != nil && opts.Client.Transport != nil {
		base = opts.Client.Transport
	}
	rt := httpOnlyWhenInsecure{next: base, insecure: opts.Server, allow: opts.Insecure}
	var auth authn.Authenticator = authn.Anonymous
	if opts.Username != "" || opts.Password != nil {
		b := &authn.Basic{Username: opts.Username}
		if opts.Password != nil {
			b.Password = opts.Password.Value()
		}
		auth = b
	}
	r := &Resolver{opts: opts, digests: map[string]string{}}
	// NewPuller fails only on a bad option; these are fixed.
	r.login, _ = remote.NewPuller(remote.WithTransport(rt), remote.WithAuth(auth), remote.WithUserAgent("berth"))
	r.anon, _ = remote.NewPuller(remote.WithTransport(rt), remote.WithAuth(authn.Anonymous), remote.WithUserAgent("berth"))
	return r
}

// normalizeHost maps Docker Hub's aliases to one name.
func normalizeHost(h string) string {
	switch h {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return name.DefaultRegistry
	}
	return h
}

// Resolve returns the digest ("sha256:...") of the manifest that ref
// ("10.77.0.1:5000/app:v1") names now. A reference with a digest returns
// that digest without asking the registry.
func (r *Resolver) Resolve(ctx context.Context, s string) (string, error) {
	ref, err := imageref.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadReference, err)
	}
	if ref.Digest != "" {
		return ref.Digest, nil
	}
	r.mu.Lock()
	d, ok := r.digests[s]
	r.mu.Unlock()
	if ok {
		return d, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	if d, err = r.resolve(ctx, s, ref); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.digests[s] = d
	r.mu.Unlock()
	return d, nil
}

func (r *Resolver) resolve(ctx context.Context, s string, ref imageref.Ref) (string, error) {
	host, path := ref.Registry()
	host = normalizeHost(host)
	var opts []name.Option
	if r.opts.Insecure && host == r.opts.Server {
		opts = append(opts, name.Insecure)
	}
	tag, err := name.NewTag(ref.WithTag(ref.Tag).Named(), opts...)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrBadReference, s, err)
	}
	p := r.anon
	if host == r.opts.Server {
		p = r.login
	}
	desc, err := p.Head(ctx, tag)
	if err == nil {
		return desc.Digest.String(), nil
	}
	if status(err) == http.StatusUnauthorized || status(err) == http.StatusForbidden {
		return "", r.authErr(host)
	}
	// No digest header, HEAD not allowed, or an error whose body says more:
	// GET hashes the manifest itself.
	got, gerr := p.Get(ctx, tag)
	if gerr == nil {
		return got.Digest.String(), nil
	}
	return "", r.explain(s, host, path, ref.TagOrLatest(), gerr)
}

// explain maps a registry error to one of the sentinel errors, in words.
func (r *Resolver) explain(s, host, path, tag string, err error) error {
	var te *transport.Error
	if !errors.As(err, &te) {
		return fmt.Errorf("image %s: registry %s: %w", s, host, scrub(err))
	}
	switch te.StatusCode {
	case http.StatusNotFound:
		for _, d := range te.Errors {
			if d.Code == transport.NameUnknownErrorCode {
				return fmt.Errorf("%w: image %s not found in registry (repository %s does not exist)", ErrNotFound, s, path)
			}
		}
		return fmt.Errorf("%w: image %s not found in registry (tag %s does not exist)", ErrNotFound, s, tag)
	case http.StatusUnauthorized, http.StatusForbidden:
		return r.authErr(host)
	}
	return fmt.Errorf("image %s: registry %s answered %d %s", s, host, te.StatusCode, http.StatusText(te.StatusCode))
}

func (r *Resolver) authErr(host string) error {
	switch {
	case host == r.opts.Server && r.opts.Username != "":
		return fmt.Errorf("%w: registry %s refused credentials for user %s", ErrUnauthorized, host, r.opts.Username)
	case host == r.opts.Server:
		return fmt.Errorf("%w: registry %s requires a login: set username and password in the registry block", ErrUnauthorized, host)
	}
	server := r.opts.Server
	if server == "" {
		server = "none"
	}
	return fmt.Errorf("%w: registry %s requires a login, and berth only logs in to the configured registry (%s)", ErrUnauthorized, host, server)
}

// scrub drops the URL from an error, which may carry a token in its query.
func scrub(err error) error {
	var ue interface{ Unwrap() error }
	if s := err.Error(); strings.Contains(s, "token=") || strings.Contains(s, "access_token") {
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			return ue.Unwrap()
		}
		return errors.New("the request failed")
	}
	return err
}

// status is the HTTP status of a registry error, or 0.
func status(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

// httpOnlyWhenInsecure refuses plain http except to the configured server
// marked insecure: go-containerregistry tries http for private addresses on
// its own, and credentials must never cross a network unencrypted unless the
// configuration says so.
type httpOnlyWhenInsecure struct {
	next     http.RoundTripper
	insecure string
	allow    bool
}

func (t httpOnlyWhenInsecure) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !(t.allow && req.URL.Host == t.insecure) {
		return nil, fmt.Errorf("plain http to %s refused: mark the registry insecure to allow it", req.URL.Host)
	}
	return t.next.RoundTrip(req)
}
