package executor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// Options tune an apply.
type Options struct {
	// Parallelism bounds the steps running at once; 0 takes the
	// configuration's deploy.parallelism.
	Parallelism int
	Reporter    Reporter
	Logger      *slog.Logger
	// Poll is how often berth probes a new container while it waits for it
	// to turn healthy; default 200ms.
	Poll time.Duration
	// Gate, if set, is passed once the barrier's dependencies have (the
	// primary role is healthy on its primary host) and before the barrier
	// opens: no other role cuts over until it returns, and its error keeps
	// the barrier closed.
	Gate Gate
	// CleanupWindow bounds how long a clean-up keeps redialling a host whose
	// connection failed, to learn what really runs and to put it right;
	// default 1m. RetryInterval is the pause between two tries; default 1s.
	CleanupWindow, RetryInterval time.Duration
}

// Result says what an apply did, step by step and branch by branch.
type Result struct {
	Steps       map[string]graph.Result
	BarrierOpen bool
	// Discarded are the branches whose prepared or started new container
	// was removed again, leaving the old one serving.
	Discarded []planner.Address
	// RolledBack are the branches returned to their previous version by
	// deploy { on_failure = "rollback" }.
	RolledBack []planner.Address
	// Warnings are what worked but must be said: a container killed at
	// its stop timeout.
	Warnings []Warning
}

// ErrBarrierClosed is wrapped by the error of an apply whose primary role
// never turned healthy on the primary host: nothing else cut over.
var ErrBarrierClosed = errors.New("deployment barrier closed")

// Apply carries out plan p. The configuration must be the one the plan was
// made from (the caller checks the plan is not stale); it supplies the
// secret values, which the plan does not hold.
//
// Apply returns only when every branch has finished or cleaned up. Its error
// joins every failure. Cancelling ctx (Ctrl-C) starts no new step; steps
// under way finish, or cut their wait short and clean up.
func Apply(ctx context.Context, p *planner.Plan, cfg *lang.Config, hosts Hosts, opts Options) (*Result, error) {
	r := newRun(ctx, p, cfg, hosts, opts)
	par := opts.Parallelism
	if par <= 0 {
		par = cfg.Deploy.Parallelism
	}
	steps, walkErr := graph.Walk(ctx, p.Graph.Vertices(), r.step, graph.Options{Parallelism: par, Reporter: stepReporter{r}})
	res := &Result{Steps: steps}
	if steps == nil { // the graph itself is invalid: nothing ran
		return res, walkErr
	}
	if b, ok := steps[barrierID(p)]; ok {
		res.BarrierOpen = b.Status == graph.Succeeded
	} else {
		res.BarrierOpen = true
	}
	errs := []error{walkErr}
	if err := r.primaryFailure(steps); err != nil {
		errs = append([]error{err}, errs...)
	}
	res.Discarded, errs = r.cleanUp(errs)
	if walkErr != nil && res.BarrierOpen && cfg.Deploy.OnFailure == lang.OnFailureRollback {
		var err error
		res.RolledBack, err = r.rollback()
		errs = append(errs, err)
	}
	errs = append(errs, r.removeStoppedProxies())
	r.warnMu.Lock()
	res.Warnings = slices.Clone(r.warnings)
	r.warnMu.Unlock()
	return res, errors.Join(errs...)
}

// run is the state of one apply.
type run struct {
	interrupt context.Context // cancelled on Ctrl-C
	plan      *planner.Plan
	cfg       *lang.Config
	hosts     Hosts
	opts      Options
	log       *slog.Logger
	rep       Reporter
	steps     map[string]planner.Step
	branches  map[string]*branch // by Address.String()
	// barrierDeadline bounds the steps that open the barrier.
	barrierDeadline time.Time
	order           []*branch // plan order
	nets            networks  // the Docker networks made sure of
	imgs            images    // what the hosts said of the images
	stopped         stoppedProxies

	warnMu   sync.Mutex
	warnings []Warning
}

func newRun(ctx context.Context, p *planner.Plan, cfg *lang.Config, hosts Hosts, opts Options) *run {
	r := &run{
		interrupt: ctx,
		plan:      p,
		cfg:       cfg,
		hosts:     hosts,
		opts:      opts,
		log:       opts.Logger,
		rep:       opts.Reporter,
		steps:     make(map[string]planner.Step, len(p.Graph.Steps)),
		branches:  make(map[string]*branch),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.rep == nil {
		r.rep = NopReporter{}
	}
	if r.opts.Poll <= 0 {
		r.opts.Poll = 200 * time.Millisecond
	}
	if r.opts.CleanupWindow <= 0 {
		r.opts.CleanupWindow = time.Minute
	}
	if r.opts.RetryInterval <= 0 {
		r.opts.RetryInterval = time.Second
	}

	for _, s := range p.Graph.Steps {
		r.steps[s.ID] = s
	}
	bt := cfg.Deploy.BarrierTimeout
	if bt <= 0 {
		bt = 5 * time.Minute
	}
	r.barrierDeadline = time.Now().Add(bt)
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == planner.ActionUnchanged {
			continue
		}
		b := &branch{change: c}
		r.branches[c.Address.String()] = b
		r.order = append(r.order, b)
	}
	return r
}

// step runs one vertex of the graph.
func (r *run) step(ctx context.Context, id string) error {
	s, ok := r.steps[id]
	if !ok {
		return fmt.Errorf("unknown step %q", id)
	}
	switch s.Kind {
	case planner.StepBarrier:
		return r.openBarrier(ctx)
	case planner.StepBatch: // the previous rolling batch has finished
		return nil
	}
	b, ok := r.branches[s.Address.String()]
	if !ok {
		return fmt.Errorf("step %s: no change for %s in the plan", id, s.Address)
	}
	if b.change.Primary && s.Kind != planner.StepStopOld && s.Kind != planner.StepPrune {
		// Everything that opens the barrier must do so within
		// deploy.barrier_timeout: the waiting roles never wait longer.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, r.barrierDeadline)
		defer cancel()
	}
	d, err := r.hosts.Docker(ctx, s.Address.Host)
	if err != nil {
		return err
	}
	switch s.Kind {
	case planner.StepPull:
		return r.again(ctx, d, b, r.pull)
	case planner.StepCreate:
		return r.create(ctx, d, b)
	case planner.StepStopOld:
		r.rememberRoutes(ctx, d, b)
		return r.again(ctx, d, b, r.stopOld)
	case planner.StepStart:
		return r.start(ctx, d, b)
	case planner.StepHealth:
		if b.change.Address.Proxy {
			return r.proxyHealth(ctx, d, b)
		}
		return r.health(ctx, d, b)
	case planner.StepSwitch:
		return r.switchProxy(ctx, d, b)
	case planner.StepPrune:
		return r.again(ctx, d, b, r.prune)
	case planner.StepRemove:
		return r.again(ctx, d, b, r.remove)
	}
	return fmt.Errorf("step %s: unknown kind %q", id, s.Kind)
}

// op bounds one Docker call by the configured command timeout.
func (r *run) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.cfg.SSH.CommandTimeout) // lang's default: 5m
}

// primaryFailure explains a closed barrier: which container failed and how
// many steps it held back.
func (r *run) primaryFailure(steps map[string]graph.Result) error {
	id := barrierID(r.plan)
	if id == "" || steps[id].Status == graph.Succeeded {
		return nil
	}
	held := 0
	for _, s := range r.plan.Graph.Steps {
		if st := steps[s.ID].Status; s.Kind != planner.StepBarrier && s.Kind != planner.StepBatch && (st == graph.Skipped || st == graph.Canceled) {
			held++
		}
	}
	var primary string
	for _, b := range r.order {
		if b.change.Primary {
			primary = b.addr().String()
		}
	}
	if steps[id].Status == graph.Failed {
		// Its gate failed: the walk's error says why.
		return fmt.Errorf("%w: %s is healthy, but the barrier's gate failed; %d waiting steps did not run and no other role cut over", ErrBarrierClosed, cmp.Or(primary, "the primary"), held)
	}
	if steps[id].Status == graph.Canceled || r.interrupt.Err() != nil {
		return fmt.Errorf("%w: interrupted before %s turned healthy; %d steps did not run", ErrBarrierClosed, primary, held)
	}
	if acc := failedAccessories(r.plan, steps); len(acc) > 0 {
		return fmt.Errorf("%w: %s did not start: an accessory it depends on failed (%s); %d waiting steps did not run and no other role cut over", ErrBarrierClosed, primary, strings.Join(acc, ", "), held)
	}
	return fmt.Errorf("%w: the primary role's new container on %s failed before it turned healthy; %d waiting steps did not run and no other role cut over", ErrBarrierClosed, primary, held)
}

// failedAccessories are the accessories whose step failed while the primary
// role's cutover waited for them (and was skipped).
func failedAccessories(p *planner.Plan, steps map[string]graph.Result) []string {
	var failed []string
	primaryWaited := false
	for _, s := range p.Graph.Steps {
		switch {
		case s.Address.Accessory != "" && steps[s.ID].Status == graph.Failed:
			failed = append(failed, s.Address.String())
		case s.Kind == planner.StepStart || s.Kind == planner.StepStopOld:
			for _, c := range p.Changes {
				if c.Primary && c.Address == s.Address && steps[s.ID].Status == graph.Skipped {
					primaryWaited = true
				}
			}
		}
	}
	if !primaryWaited {
		return nil
	}
	return failed
}

// cleanUp finishes or undoes every branch the walk left half-way, in
// parallel, and returns the branches whose new container was discarded.
func (r *run) cleanUp(errs []error) ([]planner.Address, []error) {
	ctx := context.WithoutCancel(r.interrupt)
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		discarded []planner.Address
	)
	for _, b := range r.order {
		var job func(Docker) error
		switch b.cleanUpAction(r.rollingBack()) {
		case cleanReportDiscard:
			mu.Lock()
			discarded = append(discarded, b.addr())
			mu.Unlock()
			continue
		case cleanDiscard:
			// Prepared (or started) but never healthy: the barrier closed, a
			// dependency failed or the apply was interrupted. Remove it and
			// leave, or bring back, the old container.
			job = func(d Docker) error {
				err := r.discardUntilKnown(ctx, d, b)
				if err == nil {
					mu.Lock()
					discarded = append(discarded, b.addr())
					mu.Unlock()
				}
				return err
			}
		case cleanFinishCutover:
			// Healthy but interrupted before stop_old completed: finish the
			// cut-over, redialling after a lost connection.
			job = func(d Docker) error { return r.finishCutover(ctx, d, b) }
		default:
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, _ := r.redial(ctx, b.addr().Host) // nil: the job redials until the clean-up window ends
			if err := job(d); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: clean-up: %w", b.addr(), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sortAddrs(discarded)
	return discarded, errs
}

// finishCutover runs stop_old until it succeeds or the clean-up window
// passes.
func (r *run) finishCutover(ctx context.Context, d Docker, b *branch) error {
	return r.untilKnown(ctx, d, b, r.stopOld)
}

func (r *run) rollingBack() bool { return r.cfg.Deploy.OnFailure == lang.OnFailureRollback }

// rollback returns every branch that cut over to its previous container.
func (r *run) rollback() ([]planner.Address, error) {
	ctx := context.WithoutCancel(r.interrupt)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		done []planner.Address
		errs []error
	)
	for _, b := range r.order {
		if !b.healthy() || b.change.Address.Accessory != "" || b.change.Address.Proxy {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := r.hosts.Docker(ctx, b.addr().Host)
			if err == nil {
				err = r.discardNew(ctx, d, b)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: rollback: %w", b.addr(), err))
				return
			}
			r.rep.Event(b.addr(), "rolled back to "+describeOld(b.change))
			done = append(done, b.addr())
		}()
	}
	wg.Wait()
	sortAddrs(done)
	return done, errors.Join(errs...)
}

func describeOld(c *planner.Change) string {
	if c.Running == nil {
		return "nothing (the role was new)"
	}
	return c.Running.Name
}

func sortAddrs(a []planner.Address) {
	sort.Slice(a, func(i, j int) bool { return a[i].String() < a[j].String() })
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
