package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

type planCmd struct {
	vars     varFlags
	out      string
	targets  []string
	excludes []string
	json     bool
	detailed bool
	noColor  bool
	replace  []string
	noHooks  bool
	noBuild  bool
}

func newPlanCmd(a *app) *cobra.Command {
	c := &planCmd{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change, read from the live hosts",
		Long: `Read the live containers of the service on every host over SSH, resolve the
image tag to its digest, and show what apply would change: per host and role,
create (+), replace (~) with the reasons, remove (-) or unchanged, then the
ordered steps and a summary line. --out saves the plan to a file that
'berth apply FILE' carries out exactly, refusing it if the hosts or the
configuration moved on. Nothing is changed on any host.

Exit status: 0 success, 1 error; with --detailed-exitcode 0 no changes,
2 changes, 1 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context(), a) },
	}
	f := cmd.Flags()
	c.vars.register(f)
	f.StringVar(&c.out, "out", "", "save the plan to `FILE` (JSON, no secret values) for 'berth apply FILE'")
	f.StringArrayVar(&c.targets, "target", nil, "plan only this host, role or accessory (repeatable; the plan may be partial)")
	f.StringArrayVar(&c.excludes, "exclude", nil, "leave out this host, role or accessory (repeatable; the plan may be partial)")
	f.BoolVar(&c.json, "json", false, "print the plan as a JSON document on stdout")
	f.BoolVar(&c.detailed, "detailed-exitcode", false, "exit 0 with no changes, 2 with changes, 1 on error")
	f.BoolVar(&c.noColor, "no-color", false, "no colours in the output")
	registerReplace(f, &c.replace)
	registerNoHooks(f, &c.noHooks)
	registerNoBuild(f, &c.noBuild)
	return cmd
}

func (c *planCmd) run(ctx context.Context, a *app) error {
	cfg, err := a.loadConfig(ctx, c.vars)
	if err != nil {
		return err
	}
	if err := a.prePlan(ctx, cfg, c.noHooks); err != nil {
		return err
	}
	hs, err := a.findHooks(c.noHooks, hooks.ForApply...)
	if err != nil {
		return err
	}
	p, err := a.buildAndPlan(ctx, cfg, c.noBuild, planner.Options{Targets: c.targets, Excludes: c.excludes, Replace: c.replace, Hooks: hs, NoHooks: c.noHooks})
	if err != nil {
		return err
	}
	if c.out != "" {
		if err := planner.WriteFile(c.out, p); err != nil {
			return err
		}
	}
	if c.json {
		err = view.PlanJSON(a.Out, p)
	} else {
		err = view.Plan(a.Out, p, view.HumanOptions{Color: a.color(c.noColor)})
	}
	if err != nil {
		return err
	}
	if c.out != "" {
		fmt.Fprintf(a.Err, "\nSaved the plan to %s. To carry out exactly this plan, run:\n    berth apply %s\n", c.out, c.out)
	}
	if c.detailed && p.HasChanges() {
		return exitError{code: 2}
	}
	return nil
}

// buildPlan connects to the hosts and the registry of cfg and builds the
// plan. Any host or image that cannot be read fails the whole plan.
func (a *app) buildPlan(ctx context.Context, cfg *lang.Config, opts planner.Options) (*planner.Plan, error) {
	sess, err := a.session(cfg)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	sess.ReadOnly()
	return sess.Plan(ctx, opts)
}

// color reports whether to colour the output: stdout is a terminal, and
// neither --no-color nor NO_COLOR says otherwise.
func (a *app) color(noColor bool) bool {
	if noColor {
		return false
	}
	for _, kv := range a.environ {
		if len(kv) > len("NO_COLOR=") && kv[:len("NO_COLOR=")] == "NO_COLOR=" {
			return false
		}
	}
	f, ok := a.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
