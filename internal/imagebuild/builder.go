package imagebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/berth-sh/berth/internal/buildkit"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/lang"
)

// Daemon is what a build needs of a Docker daemon.
type Daemon interface {
	Build(ctx context.Context, tar io.Reader, o dockerapi.BuildOptions, on func(dockerapi.BuildEvent)) (string, error)
	Push(ctx context.Context, ref string, auth *dockerapi.Auth, on func(dockerapi.PushEvent)) (string, error)
	OpenSession(ctx context.Context, s dockerapi.SessionHeaders) (net.Conn, error)
}

// Registry finds the digest of a pushed tag; a missing one matches
// registry.ErrNotFound.
type Registry interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// Request is one image to build.
type Request struct {
	Service string
	Build   *lang.Build
	Image   string       // repository, e.g. "10.77.0.1:5000/shop"
	Version lang.Version // the tag
	Auth    *dockerapi.Auth
	// Force builds even when the registry has the version already.
	Force bool
}

// Ref is the reference that is built and pushed.
func (r Request) Ref() string { return r.Image + ":" + r.Version.Full }

// Result says what happened.
type Result struct {
	Ref    string
	Digest string // of the pushed (or found) manifest
	Built  bool   // false: the registry had this version already
	Cached int    // steps that came from the build cache
	Ran    int    // steps that ran
	Bytes  int64  // layer bytes sent to the registry
}

// ErrBuildFailed is matched by a build whose Dockerfile failed.
var ErrBuildFailed = errors.New("the image build failed")

// Builder builds and pushes. Out receives the progress lines.
type Builder struct {
	Daemon   Daemon
	Registry Registry
	Out      io.Writer
}

// Run builds req's image unless the registry has its version already (a
// dirty version, or Force, is always built: its source may have changed
// since), pushes it and returns its digest.
func (b *Builder) Run(ctx context.Context, req Request) (Result, error) {
	ref := req.Ref()
	dirty := strings.HasSuffix(req.Version.Full, "-dirty")
	if !dirty && !req.Force {
		d, err := b.Registry.Resolve(ctx, ref)
		if err == nil {
			fmt.Fprintf(b.Out, "build: %s is in the registry already (%s): nothing to build\n", ref, short(d))
			return Result{Ref: ref, Digest: d}, nil
		}
		if !errors.Is(err, registry.ErrNotFound) {
			return Result{}, fmt.Errorf("looking for %s in the registry: %w", ref, err)
		}
	}
	res, err := b.build(ctx, req)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// build sends the context, builds, then pushes.
func (b *Builder) build(ctx context.Context, req Request) (Result, error) {
	ref := req.Ref()
	fmt.Fprintf(b.Out, "build: building %s from %s\n", ref, req.Build.Context)
	secrets := map[string]string{}
	for k, s := range req.Build.Secrets {
		secrets[k] = s.Value()
	}
	values := make([]string, 0, len(secrets))
	for _, v := range secrets {
		values = append(values, v)
	}
	p := newProgress(b.Out, values)
	opts := buildOptions(req)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if len(secrets) > 0 || req.Auth != nil {
		// The session serves the secrets, and the registry login for
		// the build's own pulls (a FROM on the same registry).
		id, stop, err := b.session(bctx, req.Service, secrets, req.Auth)
		if err != nil {
			return Result{}, err
		}
		defer stop()
		opts.Session = id
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeContext(pw, req.Build.Context, req.Build.Dockerfile)) }()
	_, err := b.Daemon.Build(bctx, pr, opts, p.trace)
	pr.CloseWithError(errors.New("build ended"))
	if err != nil {
		return Result{}, b.failed(p, ref, err)
	}
	digest, err := b.Daemon.Push(ctx, ref, req.Auth, p.push)
	if err != nil {
		return Result{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	fmt.Fprintf(b.Out, "build: pushed %s (%s; %s, %s sent)\n", ref, short(digest), StepCounts(p.Cached, p.Ran), humanBytes(p.Bytes))
	return Result{Ref: ref, Digest: digest, Built: true, Cached: p.Cached, Ran: p.Ran, Bytes: p.Bytes}, nil
}

// buildOptions maps the build block onto the build API.
func buildOptions(req Request) dockerapi.BuildOptions {
	bl := req.Build
	labels := map[string]string{"org.opencontainers.image.version": req.Version.Full}
	for k, v := range bl.Labels {
		labels[k] = v
	}
	args := map[string]string{}
	for k, v := range bl.Args {
		args[k] = v
	}
	if len(bl.CacheTo) > 0 {
		args["BUILDKIT_INLINE_CACHE"] = "1"
	}
	return dockerapi.BuildOptions{Tags: []string{req.Ref()}, Dockerfile: bl.Dockerfile, Target: bl.Target,
		Platform: bl.Platform, Network: bl.Network, Args: args, Labels: labels, CacheFrom: bl.CacheFrom}
}

// failed turns a build error into one with the failed step's last lines.
func (b *Builder) failed(p *progress, ref string, err error) error {
	if !errors.Is(err, dockerapi.ErrBuild) {
		return fmt.Errorf("building %s: %w", ref, err)
	}
	name, stepErr, lines := p.failure()
	var sb strings.Builder
	if name == "" {
		fmt.Fprintf(&sb, "%s: %s", ref, p.masked(err.Error()))
	} else {
		fmt.Fprintf(&sb, "%s: step %s: %s", ref, name, stepErr)
	}
	if len(lines) > 0 {
		sb.WriteString("\nits last lines:")
		for _, l := range lines {
			sb.WriteString("\n  | " + l)
		}
	}
	return fmt.Errorf("%w: %s", ErrBuildFailed, sb.String())
}

// session opens a BuildKit session that serves secrets and the registry
// login until stopped.
func (b *Builder) session(ctx context.Context, name string, secrets map[string]string, auth *dockerapi.Auth) (string, func(), error) {
	s := buildkit.NewSession("berth-"+name, secrets)
	if auth != nil {
		s.AddCredentials(auth.ServerAddress, buildkit.Credentials{Username: auth.Username, Password: auth.Password})
	}
	conn, err := b.Daemon.OpenSession(ctx, dockerapi.SessionHeaders{ID: s.ID, Name: s.Name, SharedKey: s.SharedKey, Methods: s.Methods()})
	if err != nil {
		return "", nil, fmt.Errorf("opening a build session for the secrets: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(sctx, conn)
	}()
	return s.ID, func() { cancel(); conn.Close(); <-done }, nil
}

// StepCounts says how many steps came from the cache and how many ran:
// "1 step cached, 2 run".
func StepCounts(cached, ran int) string {
	noun := "steps"
	if cached == 1 {
		noun = "step"
	}
	return fmt.Sprintf("%d %s cached, %d run", cached, noun, ran)
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
