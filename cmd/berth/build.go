package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/internal/imagebuild"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

type buildCmd struct {
	vars  varFlags
	force bool
	json  bool
}

func newBuildCmd(a *app) *cobra.Command {
	c := &buildCmd{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build the service image from its build block and push it; no host is touched",
		Long: `Build the image of the service's build block on the Docker daemon it names
(builder { host = ... } over SSH, else DOCKER_HOST or the docker context,
else the local daemon), with the Docker Engine's own BuildKit, and push it
as IMAGE:VERSION. A version already in the registry is not built again,
unless it is "-dirty" (the context has uncommitted changes) or --force.
Progress goes to standard error; the result (reference and pushed digest)
to standard output. berth plan and berth apply do the same before they
plan, unless --no-build.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context(), a) },
	}
	f := cmd.Flags()
	c.vars.register(f)
	f.BoolVar(&c.force, "force", false, "build and push even when the registry has this version")
	f.BoolVar(&c.json, "json", false, "print the result as JSON on stdout")
	return cmd
}

func (c *buildCmd) run(ctx context.Context, a *app) error {
	cfg, sess, err := a.open(ctx, c.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	res, err := sess.Build(ctx, deploy.BuildOptions{Out: a.Err, Force: c.force})
	if errors.Is(err, deploy.ErrNoBuild) {
		return fmt.Errorf("%w: add build { context = \"...\" } to service %q", err, cfg.Service.Name)
	}
	if err != nil {
		return err
	}
	if c.json {
		return renderBuildJSON(a.Out, res)
	}
	return renderBuild(a.Out, res)
}

// renderBuild is the human result of a build.
func renderBuild(w io.Writer, r imagebuild.Result) error {
	what := "found in the registry, not built"
	if r.Built {
		what = "built (" + imagebuild.StepCounts(r.Cached, r.Ran) + ") and pushed"
	}
	_, err := fmt.Fprintf(w, "%s@%s\n  %s\n", r.Ref, r.Digest, what)
	return err
}

// renderBuildJSON is the same result as JSON.
func renderBuildJSON(w io.Writer, r imagebuild.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		FormatVersion string `json:"format_version"`
		Ref           string `json:"ref"`
		Digest        string `json:"digest"`
		Built         bool   `json:"built"`
		CachedSteps   int    `json:"cached_steps"`
		RunSteps      int    `json:"run_steps"`
		BytesPushed   int64  `json:"bytes_pushed"`
	}{"1.0", r.Ref, r.Digest, r.Built, r.Cached, r.Ran, r.Bytes})
}

// buildImage builds and pushes the service image before a plan (nothing
// without a build block, or with --no-build). Progress goes to stderr,
// so that --json output stays one document.
func (a *app) buildImage(ctx context.Context, sess *deploy.Session, cfg *lang.Config, noBuild bool) error {
	if cfg.Service.Build == nil || noBuild {
		return nil
	}
	_, err := sess.Build(ctx, deploy.BuildOptions{Out: a.Err})
	return err
}

// buildAndPlan builds the image, then plans, in one session (a local
// registry runs through both).
func (a *app) buildAndPlan(ctx context.Context, cfg *lang.Config, noBuild bool, opts planner.Options) (*planner.Plan, error) {
	sess, err := a.session(cfg)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	if err := a.buildImage(ctx, sess, cfg, noBuild); err != nil {
		return nil, err
	}
	sess.ReadOnly()
	p, err := sess.Plan(ctx, opts)
	if err != nil && noBuild && cfg.Service.Build != nil && errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("%w\n(--no-build plans only images in the registry: run berth build first)", err)
	}
	return p, err
}

func registerNoBuild(f interface {
	BoolVar(p *bool, name string, value bool, usage string)
}, p *bool) {
	f.BoolVar(p, "no-build", false, "do not build: the image of this version must be in the registry already")
}
