package main

import (
	"context"
	"fmt"

	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

// openSaved reads a plan file and prints its digest, so that the output of
// an apply says which file it applied.
func (a *app) openSaved(path string) (*planner.Plan, string, error) {
	f, err := planner.Open(path)
	if err != nil {
		return nil, "", err
	}
	fmt.Fprintln(a.Out, view.FileInfo{Path: f.Path, Digest: f.Digest}.Line())
	return f.Plan, f.Digest, nil
}

// verifySaved re-derives a saved plan from the configuration, the plan's
// variables and options and the live hosts, and returns the re-derived
// plan if it equals the saved one: a hook added, removed or changed since
// makes it stale. The caller holds the lock.
func (a *app) verifySaved(ctx context.Context, sess *deploy.Session, saved *planner.Plan) (*planner.Plan, error) {
	hs, err := a.findHooks(saved.NoHooks, hooks.ForApply...)
	if err != nil {
		return nil, err
	}
	p, err := sess.Verify(ctx, saved, hs)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(a.Out, "The plan file matches what the configuration and the hosts give now.")
	return p, nil
}

// removeVolumes removes the named volumes a plan lists (destroy
// --remove-volumes), after its containers are gone.
func (a *app) removeVolumes(ctx context.Context, sess *deploy.Session, p *planner.Plan) error {
	removed, err := sess.RemoveVolumes(ctx, p)
	for _, v := range removed {
		fmt.Fprintf(a.Out, "Removed volume %s on %s\n", v.Name, v.Host)
	}
	return err
}
