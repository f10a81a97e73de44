package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/executor/progress"
	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

type applyOptions struct {
	vars        varFlags
	autoApprove bool
	parallelism int
	targets     []string
	excludes    []string
	message     string
	noColor     bool
	command     string // for the audit log: "apply" when empty, "rollback", "destroy"
	lockWait    time.Duration
	replace     []string
	noHooks     bool
	planDigest  string // of the plan file applied, for the hooks
	noBuild     bool
	proxyAtOnce bool // berth proxy reboot without --rolling
}

func newApplyCmd(a *app) *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   "apply [PLAN-FILE]",
		Short: "Carry out a plan: deploy to the hosts, primary first, behind the barrier",
		Long: `Without a plan file: plan, show the plan, ask for "yes", apply it.
With a plan file (from berth plan --out or berth destroy --out): print the
file's digest; under the lock, re-derive the plan from the configuration,
the file's variables and options and the live hosts, and refuse the file
unless it is exactly that plan, naming the first field that differs (or
saying "stale" and what moved on since: a host's containers, the
configuration, the digest a tag points to); else apply it.

The deploy lock on the primary host is taken before the live state is read
and released on every exit path, Ctrl-C included.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			return a.apply(cmd.Context(), o, file)
		},
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.BoolVar(&o.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	f.IntVar(&o.parallelism, "parallelism", 0, parallelismUsage)
	f.StringArrayVar(&o.targets, "target", nil, "plan only this host, role or accessory (repeatable); the result may be partial")
	f.StringArrayVar(&o.excludes, "exclude", nil, "leave out this host, role or accessory (repeatable)")
	f.StringVarP(&o.message, "message", "m", "", "why: recorded in the lock and the audit log")
	f.BoolVar(&o.noColor, "no-color", false, "no colours in the output")
	registerLockWait(f, &o.lockWait)
	registerReplace(f, &o.replace)
	registerNoHooks(f, &o.noHooks)
	registerNoBuild(f, &o.noBuild)
	return cmd
}

func (a *app) apply(ctx context.Context, o applyOptions, file string) error {
	saved, err := a.savedPlan(file, &o)
	if err != nil {
		return err
	}
	cfg, sess, err := a.open(ctx, o.vars)
	if err != nil {
		return err
	}
	defer sess.Close()
	if saved == nil {
		// Built and pushed before any host is contacted.
		if err := a.buildImage(ctx, sess, cfg, o.noBuild); err != nil {
			return err
		}
	}

	release, err := sess.Lock(ctx, cfg, o.message, o.lockWait)
	if err != nil {
		return err
	}
	defer release()

	p := saved
	if p != nil {
		if p, err = a.verifySaved(ctx, sess, saved); err != nil {
			return err
		}
		if p.Destroy {
			o.command = "destroy"
		}
	} else {
		if p, err = a.planForApply(ctx, sess, cfg, o); err != nil {
			return err
		}
		if ok, err := a.showAndConfirm(p, o); !ok {
			return err
		}
	}
	if !p.HasChanges() {
		fmt.Fprintln(a.Out, "No changes. The hosts match the configuration.")
		return nil
	}
	if err := a.execute(ctx, sess, cfg, p, o); err != nil {
		return err
	}
	a.removeNetworks(ctx, sess, p)
	return a.removeVolumes(ctx, sess, p)
}

// savedPlan opens the plan file to apply (nil without one) and makes o and
// the destination the plan's.
func (a *app) savedPlan(file string, o *applyOptions) (*planner.Plan, error) {
	if file == "" {
		return nil, nil
	}
	saved, digest, err := a.openSaved(file)
	if err != nil {
		return nil, err
	}
	o.planDigest = digest
	if err := a.useSavedDestination(saved); err != nil {
		return nil, err
	}
	if len(o.targets)+len(o.excludes) > 0 {
		return nil, errors.New("--target and --exclude belong to the plan; a saved plan is applied as it is")
	}
	if len(o.replace) > 0 || o.noHooks {
		return nil, errors.New("--replace and --no-hooks belong to the plan; a saved plan is applied as it is")
	}
	// The plan was made with these variable values; an explicit --var
	// still wins (and then the plan is stale if it differs).
	o.vars.vars = append(saved.VarArgs(), o.vars.vars...)
	return saved, nil
}

// planForApply runs the pre-plan hook and makes the plan an apply without
// a plan file carries out.
func (a *app) planForApply(ctx context.Context, sess *deploy.Session, cfg *lang.Config, o applyOptions) (*planner.Plan, error) {
	if err := a.prePlan(ctx, cfg, o.noHooks); err != nil {
		return nil, err
	}
	hs, err := a.findHooks(o.noHooks, hooks.ForApply...)
	if err != nil {
		return nil, err
	}
	return sess.Plan(ctx, planner.Options{Targets: o.targets, Excludes: o.excludes, Replace: o.replace, Hooks: hs, NoHooks: o.noHooks,
		ProxyAtOnce: o.proxyAtOnce})
}

// showAndConfirm shows the plan and, unless --auto-approve, asks for "yes".
// It reports whether to go on: not when the plan changes nothing or the
// answer was not yes (then with the error).
func (a *app) showAndConfirm(p *planner.Plan, o applyOptions) (bool, error) {
	if err := view.Plan(a.Out, p, view.HumanOptions{Color: a.color(o.noColor)}); err != nil || !p.HasChanges() {
		return false, err
	}
	if !o.autoApprove {
		if err := a.confirm(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// confirm asks for "yes" on a terminal, and refuses without one.
func (a *app) confirm() error {
	f, ok := a.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return errors.New("refusing to apply without confirmation: standard input is not a terminal; use --auto-approve, or apply a saved plan file")
	}
	fmt.Fprint(a.Out, "\nDo you want to apply this plan? Only 'yes' will be accepted: ")
	line, _ := bufio.NewReader(a.In).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return errors.New("apply cancelled")
	}
	return nil
}

// execute applies p (made from cfg) with progress output, and says how it
// ended: the audit lines, the roster and the pruning are deploy's.
func (a *app) execute(ctx context.Context, sess *deploy.Session, cfg *lang.Config, p *planner.Plan, o applyOptions) error {
	var rep executor.Reporter = progress.NewLines(a.Out, nil)
	stopTicks := func() {}
	if a.isTerminal() {
		live := progress.NewLive(a.Out, nil, liveRows(p)...)
		rep = live
		stopTicks = tick(live)
	}
	command := cmp.Or(o.command, "apply")
	out, err := sess.Execute(ctx, cfg, p, deploy.ExecuteOptions{Command: command, Parallelism: o.parallelism,
		Reporter: rep, Summary: view.Summary(p), OnWalked: stopTicks, Hooks: a.hookRunner(cfg), PlanDigest: o.planDigest})
	for _, w := range out.Walk.Warnings {
		fmt.Fprintf(a.Err, "Warning: %s\n", w)
	}
	printPruned(a.Out, out.Pruned, false, true)
	title := strings.ToUpper(command[:1]) + command[1:]
	if err == nil {
		c, r, d, _ := p.Counts()
		more := ""
		if s, rs := p.Stops(); s+rs > 0 {
			more = fmt.Sprintf(", %d stopped, %d restarted", s, rs)
		}
		fmt.Fprintf(a.Out, "\n%s complete in %s: %d created, %d replaced, %d removed%s.\n", title, out.Elapsed, c, r, d, more)
		return nil
	}
	fmt.Fprintf(a.Err, "\n%s %s after %s.\n", title, out.Result, out.Elapsed)
	if len(out.Walk.Discarded) > 0 {
		fmt.Fprintf(a.Err, "Removed the new containers again, the old ones serve: %s\n", addrList(out.Walk.Discarded))
	}
	if len(out.Walk.RolledBack) > 0 {
		fmt.Fprintf(a.Err, "Rolled back to the previous version: %s\n", addrList(out.Walk.RolledBack))
	}
	fmt.Fprintln(a.Err, "Errors:")
	for _, e := range flatten(err) {
		if errors.Is(e, context.Canceled) {
			continue
		}
		fmt.Fprintf(a.Err, "  - %s\n", strings.ReplaceAll(e.Error(), "\n", "\n    "))
	}
	if out.Result == deploy.Interrupted {
		return exitError{code: 130}
	}
	return errSilent
}

// liveRows are the lines of the live display, in plan order, the barrier
// right after the change that opens it.
func liveRows(p *planner.Plan) []string {
	var rows []string
	barrier := false
	for _, s := range p.Graph.Steps {
		barrier = barrier || s.Kind == planner.StepBarrier
	}
	for _, c := range p.Changes {
		if c.Action == planner.ActionUnchanged {
			continue
		}
		rows = append(rows, c.Address.String())
		if c.Primary && barrier {
			rows = append(rows, "barrier")
			barrier = false
		}
	}
	if barrier {
		rows = append([]string{"barrier"}, rows...)
	}
	return rows
}

func addrList(as []planner.Address) string {
	s := make([]string, len(as))
	for i, x := range as {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

// flatten undoes errors.Join, recursively.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

func (a *app) isTerminal() bool {
	f, ok := a.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// tick redraws a live display until the returned stop is called, which
// draws it a last time.
func tick(l *progress.Live) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.Tick()
			case <-done:
				l.Tick()
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
