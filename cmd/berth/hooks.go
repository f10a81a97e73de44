package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// registerNoHooks adds --no-hooks to a command that runs hooks.
func registerNoHooks(f *pflag.FlagSet, noHooks *bool) {
	f.BoolVar(noHooks, "no-hooks", false, "run none of the hooks in .berth/hooks (a saved plan records it)")
}

// findHooks finds the hooks of .berth/hooks among names; none with noHooks.
func (a *app) findHooks(noHooks bool, names ...string) ([]planner.Hook, error) {
	if noHooks {
		return nil, nil
	}
	return hooks.Find(a.chdir, names...)
}

// hookRunner runs the hooks of the configuration directory; their output
// outside an apply's walk goes to standard error, so that standard output
// stays the command's own (plan --json).
func (a *app) hookRunner(cfg *lang.Config) *hooks.Runner {
	return &hooks.Runner{Dir: a.chdir, Environ: a.environ, Timeout: cfg.Deploy.HookTimeout,
		Line: func(hook, line string) { fmt.Fprintf(a.Err, "hook %s | %s\n", hook, line) }}
}

// prePlan runs the pre-plan hook, if there is one, before a plan reads
// the hosts.
func (a *app) prePlan(ctx context.Context, cfg *lang.Config, noHooks bool) error {
	hs, err := a.findHooks(noHooks, hooks.PrePlan)
	if err != nil || len(hs) == 0 {
		return err
	}
	v := hooks.Vars{Command: "plan", Service: cfg.Service.Name, Version: cfg.Version.Full, User: a.who()}
	for _, h := range cfg.Hosts {
		v.Hosts = append(v.Hosts, h.Name)
	}
	for _, r := range cfg.Roles {
		v.Roles = append(v.Roles, r.Name)
	}
	return a.hookRunner(cfg).Run(ctx, hs[0], v)
}
