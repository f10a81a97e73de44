package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/lang"
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

// manifestTypes are the manifest media types accepted, most specific first.
var manifestTypes = strings.Join([]string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
}, ", ")

var digestRE = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)

// Options configure a Resolver.
type Options struct {
	Server   string // the registry the credentials belong to, e.g. "10.77.0.1:5000"
	Username string
	Password lang.Secret
	Insecure bool         // plain http allowed for Server
	Client   *http.Client // nil = a client of its own
	Timeout  time.Duration
}

// Resolver resolves tags to digests. It is safe for concurrent use and
// remembers what it resolved, so a run asks the registry once per tag.
type Resolver struct {
	opts Options
	hc   *http.Client

	mu      sync.Mutex
	tokens  map[string]string // registry + " " + scope -> bearer token
	basic   map[string]bool   // registries known to want Basic auth
	digests map[string]string // ref -> digest
}

// New returns a resolver.
func New(opts Options) *Resolver {
	hc := opts.Client
	if hc == nil {
		hc = &http.Client{}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	opts.Server = normalizeHost(opts.Server)
	return &Resolver{opts: opts, hc: hc, tokens: map[string]string{}, basic: map[string]bool{}, digests: map[string]string{}}
}

// FromConfig builds a resolver for cfg's registry block (nil = anonymous).
func FromConfig(cfg *lang.Registry) *Resolver {
	if cfg == nil {
		return New(Options{})
	}
	return New(Options{Server: cfg.Server, Username: cfg.Username, Password: cfg.Password, Insecure: cfg.Insecure})
}

// ref is a parsed image reference.
type ref struct {
	registry string // "10.77.0.1:5000", "registry-1.docker.io"
	name     string // "app", "library/nginx"
	tag      string
	digest   string
}

func parseRef(s string) (ref, error) {
	var r ref
	rest := s
	if i := strings.Index(rest, "@"); i >= 0 {
		rest, r.digest = rest[:i], rest[i+1:]
		if !digestRE.MatchString(r.digest) {
			return r, fmt.Errorf("%w: %q: the digest must be sha256:<64 hex digits>", ErrBadReference, s)
		}
	}
	if i, slash := strings.LastIndex(rest, ":"), strings.LastIndex(rest, "/"); i > slash {
		rest, r.tag = rest[:i], rest[i+1:]
	}
	first, remainder, found := strings.Cut(rest, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.registry, r.name = normalizeHost(first), remainder
	} else {
		r.registry, r.name = "registry-1.docker.io", rest
		if !found {
			r.name = "library/" + rest
		}
	}
	if r.name == "" || r.name != strings.ToLower(r.name) {
		return r, fmt.Errorf("%w: %q: the repository must be a non-empty lowercase path", ErrBadReference, s)
	}
	if r.tag == "" {
		r.tag = "latest"
	}
	return r, nil
}

func normalizeHost(h string) string {
	switch h {
	case "docker.io", "index.docker.io", "registry.hub.docker.com":
		return "registry-1.docker.io"
	}
	return h
}

// Resolve returns the digest ("sha256:...") of the manifest that ref
// ("10.77.0.1:5000/app:v1") names now. A reference with a digest returns
// that digest without asking the registry.
func (r *Resolver) Resolve(ctx context.Context, s string) (string, error) {
	p, err := parseRef(s)
	if err != nil {
		return "", err
	}
	if p.digest != "" {
		return p.digest, nil
	}
	r.mu.Lock()
	d, ok := r.digests[s]
	r.mu.Unlock()
	if ok {
		return d, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	d, err = r.resolve(ctx, s, p)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	r.digests[s] = d
	r.mu.Unlock()
	return d, nil
}

func (r *Resolver) resolve(ctx context.Context, s string, p ref) (string, error) {
	resp, err := r.manifest(ctx, s, p, http.MethodHead)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if d := resp.Header.Get("Docker-Content-Digest"); digestRE.MatchString(d) {
			return d, nil
		}
	}
	// No digest header, HEAD not allowed, or an error whose body says more.
	resp, err = r.manifest(ctx, s, p, http.MethodGet)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return "", fmt.Errorf("image %s: reading the manifest from registry %s: %w", s, p.registry, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", r.statusErr(s, p, resp.StatusCode, body)
	}
	if d := resp.Header.Get("Docker-Content-Digest"); digestRE.MatchString(d) {
		return d, nil
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func (r *Resolver) statusErr(s string, p ref, status int, body []byte) error {
	switch status {
	case http.StatusNotFound:
		var e struct {
			Errors []struct{ Code string } `json:"errors"`
		}
		_ = json.Unmarshal(body, &e)
		if len(e.Errors) > 0 && e.Errors[0].Code == "NAME_UNKNOWN" {
			return fmt.Errorf("%w: image %s not found in registry (repository %s does not exist)", ErrNotFound, s, p.name)
		}
		return fmt.Errorf("%w: image %s not found in registry (tag %s does not exist)", ErrNotFound, s, p.tag)
	case http.StatusUnauthorized, http.StatusForbidden:
		return r.authErr(p)
	}
	return fmt.Errorf("image %s: registry %s answered %d %s", s, p.registry, status, http.StatusText(status))
}

func (r *Resolver) authErr(p ref) error {
	if u := r.creds(p); u != "" {
		return fmt.Errorf("%w: registry %s refused credentials for user %s", ErrUnauthorized, p.registry, u)
	}
	if p.registry == r.opts.Server {
		return fmt.Errorf("%w: registry %s requires a login: set username and password in the registry block", ErrUnauthorized, p.registry)
	}
	return fmt.Errorf("%w: registry %s requires a login, and berth only logs in to the configured registry (%s)", ErrUnauthorized, p.registry, orNone(r.opts.Server))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// creds returns the username to log in to p's registry with, or "".
func (r *Resolver) creds(p ref) string {
	if p.registry != r.opts.Server || r.opts.Username == "" {
		return ""
	}
	return r.opts.Username
}

// manifest asks for p's manifest, authenticating when challenged. A non-nil
// response may have any status; its body is the caller's to close.
func (r *Resolver) manifest(ctx context.Context, s string, p ref, method string) (*http.Response, error) {
	scheme := "https"
	if r.opts.Insecure && p.registry == r.opts.Server {
		scheme = "http"
	}
	u := scheme + "://" + p.registry + "/v2/" + p.name + "/manifests/" + url.PathEscape(p.tag)
	scope := "repository:" + p.name + ":pull"
	sentBasic := false
	send := func() (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, s, err)
		}
		req.Header.Set("Accept", manifestTypes)
		sentBasic = r.authorize(req, p, scope)
		resp, err := r.hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("image %s: reaching registry %s: %w", s, p.registry, scrub(err))
		}
		return resp, nil
	}
	resp, err := send()
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	challenge := resp.Header.Get("WWW-Authenticate")
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	scheme, params := parseChallenge(challenge)
	switch scheme {
	case "basic":
		if r.creds(p) == "" {
			return nil, r.authErr(p)
		}
		if sentBasic { // these very credentials were refused
			return nil, r.authErr(p)
		}
		r.mu.Lock()
		r.basic[p.registry] = true
		r.mu.Unlock()
	case "bearer":
		if err := r.fetchToken(ctx, p, scope, params); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: registry %s asks for an unsupported authentication scheme %q", ErrUnauthorized, p.registry, challenge)
	}
	resp, err = send()
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		resp.Body.Close()
		return nil, r.authErr(p)
	}
	return resp, err
}

// authorize adds what the registry is known to want: a cached token or
// Basic. It reports whether it added Basic credentials.
func (r *Resolver) authorize(req *http.Request, p ref, scope string) bool {
	r.mu.Lock()
	tok := r.tokens[p.registry+" "+scope]
	basic := r.basic[p.registry]
	r.mu.Unlock()
	switch {
	case tok != "":
		req.Header.Set("Authorization", "Bearer "+tok)
	case basic && r.creds(p) != "":
		req.SetBasicAuth(r.opts.Username, r.opts.Password.Value())
		return true
	}
	return false
}

// fetchToken gets a bearer token from the challenge's realm and caches it.
func (r *Resolver) fetchToken(ctx context.Context, p ref, scope string, params map[string]string) error {
	realm := params["realm"]
	ru, err := url.Parse(realm)
	if err != nil || realm == "" || (ru.Scheme != "https" && ru.Scheme != "http") {
		return fmt.Errorf("%w: registry %s gave a bad token realm %q", ErrUnauthorized, p.registry, realm)
	}
	if ru.Scheme == "http" && !(r.opts.Insecure && p.registry == r.opts.Server) {
		return fmt.Errorf("%w: registry %s sends credentials to a plain http token realm %s; mark the registry insecure to allow it", ErrUnauthorized, p.registry, realm)
	}
	q := ru.Query()
	if svc := params["service"]; svc != "" {
		q.Set("service", svc)
	}
	if sc := params["scope"]; sc != "" {
		scope = sc
	}
	q.Set("scope", scope)
	ru.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ru.String(), nil)
	if err != nil {
		return err
	}
	if r.creds(p) != "" {
		req.SetBasicAuth(r.opts.Username, r.opts.Password.Value())
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("registry %s: getting a token from %s: %w", p.registry, ru.Host, scrub(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return r.authErr(p)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: registry %s: token service %s answered %d", ErrUnauthorized, p.registry, ru.Host, resp.StatusCode)
	}
	var t struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&t); err != nil {
		return fmt.Errorf("registry %s: decoding the token: %w", p.registry, err)
	}
	tok := t.Token
	if tok == "" {
		tok = t.AccessToken
	}
	if tok == "" {
		return fmt.Errorf("%w: registry %s: the token service gave no token", ErrUnauthorized, p.registry)
	}
	r.mu.Lock()
	r.tokens[p.registry+" "+scope] = tok
	r.mu.Unlock()
	return nil
}

// parseChallenge reads `Bearer realm="...",service="...",scope="..."`.
func parseChallenge(h string) (scheme string, params map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params = map[string]string{}
	for rest != "" {
		rest = strings.TrimLeft(rest, " ,")
		key, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		key = strings.ToLower(strings.TrimSpace(key))
		var val string
		if strings.HasPrefix(after, `"`) {
			end := strings.Index(after[1:], `"`)
			if end < 0 {
				val, rest = after[1:], ""
			} else {
				val, rest = after[1:1+end], after[2+end:]
			}
		} else {
			val, rest, _ = strings.Cut(after, ",")
		}
		params[key] = val
	}
	return strings.ToLower(scheme), params
}

// scrub removes user info from URLs quoted in an error (defensive: the
// resolver never puts credentials into URLs).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.User != nil {
			u.User = nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}
