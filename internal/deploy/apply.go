package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/executor/audit"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/internal/hooks"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// Plan reads the live state and builds a plan. Any host or image that
// cannot be read fails the whole plan.
func (s *Session) Plan(ctx context.Context, opts planner.Options) (*planner.Plan, error) {
	opts.BerthVersion = s.env.Version
	if opts.Logger == nil {
		opts.Logger = s.log
	}
	return planner.Build(ctx, s.Config, s.Deps(), opts)
}

// Verify re-derives a saved plan from the configuration, the plan's
// variables and options and the live hosts, and returns the re-derived
// plan if it equals the saved one. The caller holds the lock.
//
// hooks are the hooks found now: one added, removed or changed since the
// plan makes it stale.
func (s *Session) Verify(ctx context.Context, saved *planner.Plan, hooks []planner.Hook) (*planner.Plan, error) {
	if err := s.AddDeparted(saved); err != nil {
		return nil, err
	}
	return planner.Verify(ctx, saved, s.Config, s.Deps(), planner.Options{BerthVersion: s.env.Version, Logger: s.log, Hooks: hooks})
}

// Result words for the audit log and the outcome.
const (
	Succeeded   = "succeeded"
	Failed      = "failed"
	Interrupted = "interrupted"
)

// ExecuteOptions configure one Execute.
type ExecuteOptions struct {
	Command     string // for the audit log: "apply", "rollback", "destroy"
	Parallelism int    // the --parallelism flag; 0 = deploy.parallelism, else by fleet size
	Reporter    executor.Reporter
	Summary     string // the plan's summary line, for the audit log
	OnWalked    func() // called when the walk ends, before the audit line (a live display stops there)
	// Hooks runs the hooks the plan records (nil: none); PlanDigest is the
	// digest of the plan file applied, if any, for them.
	Hooks      *hooks.Runner
	PlanDigest string
}

// Outcome is what an Execute did.
type Outcome struct {
	Result  string // Succeeded, Failed or Interrupted
	Elapsed time.Duration
	Walk    *executor.Result // what the executor did, branch by branch
	Pruned  []Pruned         // the images pruned after a success
}

// Execute carries out p (made from cfg: the session's configuration, or the
// one a rollback returns to) with the executor, and writes the audit lines
// and the roster on the hosts around it; after a success it prunes the
// images no container uses any more. The error is the executor's, every
// branch's errors joined.
//
// The hooks the plan records run around it: the pre-hook first (its
// failure changes no host and is the error), post-barrier at the barrier,
// the post-hook last (its failure is joined to the error).
func (s *Session) Execute(ctx context.Context, cfg *lang.Config, p *planner.Plan, o ExecuteOptions) (Outcome, error) {
	hk := s.hooksOf(p, o)
	if err := hk.before(ctx); err != nil {
		return Outcome{Result: Failed, Walk: &executor.Result{}}, err
	}
	out, err := s.execute(ctx, cfg, p, o, hk.gate())
	return out, errors.Join(err, hk.after(ctx, out))
}

func (s *Session) execute(ctx context.Context, cfg *lang.Config, p *planner.Plan, o ExecuteOptions, gate executor.Gate) (Outcome, error) {
	entry := audit.Entry{Service: cfg.StateName(), Who: s.env.Who, Command: o.Command, Version: p.Version}
	var wg sync.WaitGroup // the audit line and the roster go out together
	wg.Go(func() { s.audit(ctx, p, entry, "started", o.Summary) })
	wg.Go(func() { s.writeRoster(ctx, cfg, p, false) })
	wg.Wait()

	start := time.Now()
	res, err := executor.Apply(ctx, p, cfg, hosts{s}, executor.Options{
		Parallelism: parallelism(o.Parallelism, cfg, len(p.Hosts)), Reporter: o.Reporter, Gate: gate})
	if o.OnWalked != nil {
		o.OnWalked()
	}
	out := Outcome{Result: Succeeded, Elapsed: time.Since(start).Round(10 * time.Millisecond), Walk: res}
	switch {
	case ctx.Err() != nil:
		out.Result = Interrupted
	case err != nil:
		out.Result = Failed
	}
	summary := fmt.Sprintf("%s in %s", o.Summary, out.Elapsed)
	for _, w := range res.Warnings {
		summary += "; warning: " + w.String()
	}
	wg.Go(func() { s.audit(ctx, p, entry, out.Result, summary) })
	if err == nil {
		wg.Go(func() { s.writeRoster(ctx, cfg, p, true) })
		wg.Go(func() { out.Pruned = s.pruneImagesAfter(ctx, cfg, p) })
	}
	wg.Wait()
	return out, err
}

// audit appends an entry on every host of the plan; a host that cannot be
// written to is a warning, not a failure of the apply.
func (s *Session) audit(ctx context.Context, p *planner.Plan, e audit.Entry, result, summary string) {
	hosts := make([]string, len(p.Hosts))
	for i, h := range p.Hosts {
		hosts[i] = h.Name
	}
	s.auditHosts(ctx, hosts, e, result, summary)
}

// auditHosts appends an entry on every host named; a host that cannot be
// written to is a warning.
func (s *Session) auditHosts(ctx context.Context, hosts []string, e audit.Entry, result, summary string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	e.Time, e.Result, e.Summary = time.Now().UTC(), result, summary
	fanout.Each(actx, len(hosts), 0, func(ctx context.Context, i int) error {
		conn, err := s.pool.Conn(ctx, hosts[i])
		if err == nil {
			he := e
			he.Host = hosts[i]
			err = audit.Append(ctx, conn, he)
		}
		if err != nil {
			s.warnf("audit log on %s: %v", hosts[i], err)
		}
		return nil
	})
}

// RemovedVolume is a named volume a destroy removed.
type RemovedVolume struct{ Host, Name string }

// RemoveVolumes removes the named volumes a plan lists (destroy
// --remove-volumes), after its containers are gone.
func (s *Session) RemoveVolumes(ctx context.Context, p *planner.Plan) ([]RemovedVolume, error) {
	var (
		errs    []error
		removed []RemovedVolume
	)
	for _, h := range slices.Sorted(maps.Keys(p.Volumes)) {
		d, err := s.live.Client(ctx, h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, v := range p.Volumes[h] {
			if err := d.RemoveVolume(ctx, v); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				errs = append(errs, fmt.Errorf("host %s: %w", h, err))
				continue
			}
			removed = append(removed, RemovedVolume{Host: h, Name: v})
		}
	}
	return removed, errors.Join(errs...)
}

// VolumesOf lists, per host, the volumes mounted by the containers a plan
// removes. A container that cannot be inspected is skipped.
func (s *Session) VolumesOf(ctx context.Context, p *planner.Plan) map[string][]string {
	out := map[string][]string{}
	for _, c := range p.Changes {
		if c.Action != planner.ActionRemove {
			continue
		}
		d, err := s.live.Client(ctx, c.Address.Host)
		if err != nil {
			continue
		}
		cs := append(append(slices.Clone(c.Others), c.Extra...), derefs(c.Running)...)
		for _, x := range append(cs, derefs(c.Keep)...) {
			ms, err := d.Mounts(ctx, x.ID)
			if err != nil {
				continue
			}
			for _, m := range ms {
				if m.Type == "volume" && m.Name != "" && !slices.Contains(out[c.Address.Host], m.Name) {
					out[c.Address.Host] = append(out[c.Address.Host], m.Name)
				}
			}
		}
	}
	return out
}

func derefs(c *planner.Container) []planner.Container {
	if c == nil {
		return nil
	}
	return []planner.Container{*c}
}
