package planner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/lang"
)

// DefaultReadParallelism is how many hosts Build reads at once at least;
// a bigger fleet is read up to MaxReadParallelism hosts at once. Reading a
// host is mostly waiting on the network, and each host keeps its one
// connection for the rest of the run anyway.
const (
	DefaultReadParallelism = 32
	MaxReadParallelism     = 256
)

// readParallelism is how many of n hosts to read at once.
func readParallelism(n int) int { return min(max(n, DefaultReadParallelism), MaxReadParallelism) }

// ErrUnknownTarget reports a --target or --exclude that names nothing.
var ErrUnknownTarget = errors.New("names no host, role or accessory")

// ErrNoPrimary reports a configuration without a primary role with hosts.
var ErrNoPrimary = errors.New("the configuration has no primary role with a host")

// Options tune Build.
type Options struct {
	// Targets and Excludes name hosts, roles, accessories (NAME or
	// accessory.NAME) or addresses (h1/web). A targeted plan may be partial.
	Targets, Excludes []string
	// Destroy plans the removal of every container of the service;
	// accessories only with IncludeAccessories.
	Destroy            bool
	IncludeAccessories bool
	// RemoveVolumes lists, in Plan.Volumes, the named volumes of the
	// removed containers, for apply to remove after them (needs Deps.Volumes).
	RemoveVolumes bool
	// Replace forces a new container of the same version for every
	// address it names (as --target does), through the barrier.
	Replace []string
	// ProxyAtOnce replaces every host's proxy at the same time instead of
	// host by host (`berth proxy reboot` without --rolling).
	ProxyAtOnce bool
	// Hooks are the hooks an apply of the plan would run (found by the
	// caller), recorded in the plan; none with NoHooks.
	Hooks   []Hook
	NoHooks bool
	// Stop plans berth stop: the running containers of the targeted
	// roles are stopped and kept.
	Stop bool
	// Accessory plans `berth accessory stop|start|restart NAME`: that
	// accessory alone, on every host it runs on.
	Accessory       *AccessoryOp
	BerthVersion    string
	Now             func() time.Time // default time.Now
	ReadParallelism int              // default: the number of hosts, at least DefaultReadParallelism, at most MaxReadParallelism
	Logger          *slog.Logger     // default: discard
}

// Deps are the planner's windows on the world.
type Deps struct {
	State   StateReader
	Digests DigestResolver
	Volumes VolumeReader // only for Options.RemoveVolumes
}

// Build reads the live state of the hosts, resolves the image tags to
// digests and computes the plan. On any error (a host that cannot be read,
// an image that cannot be resolved) it returns no plan and every error,
// each naming its host or image.
//
// A host that left the configuration but is still in the roster of the
// hosts read is read too, and its containers are planned as removes; one
// that cannot be read fails the plan, naming --exclude as the way past.
func Build(ctx context.Context, cfg *lang.Config, deps Deps, opts Options) (*Plan, error) {
	if pr := cfg.PrimaryRole(); pr == nil || len(pr.Hosts) == 0 {
		return nil, ErrNoPrimary
	}
	if deps.State == nil || (deps.Digests == nil && !opts.Destroy) {
		return nil, errors.New("planner: Build needs a StateReader and a DigestResolver")
	}
	if opts.RemoveVolumes && deps.Volumes == nil {
		return nil, errors.New("planner: Build needs a VolumeReader to remove volumes")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	in, err := readInputs(ctx, cfg, deps, opts)
	if err != nil {
		return nil, err
	}
	if !opts.Destroy && !opts.Stop && opts.Accessory == nil {
		if err := checkRouteClaims(cfg, in.states); err != nil {
			return nil, err
		}
	}
	changes := diff(diffInput{cfg: cfg, states: in.states, departed: in.gone, digests: in.digests, destroy: opts.Destroy, includeAccessories: opts.IncludeAccessories})
	if err := checkTargets(cfg, changes, in.departed, opts); err != nil {
		return nil, err
	}
	if changes, err = forceReplace(changes, opts.Replace); err != nil {
		return nil, err
	}
	changes = filterTargets(changes, opts.Targets, opts.Excludes)
	if opts.Stop {
		changes = stopChanges(changes)
	}
	if opts.Accessory != nil {
		if changes, err = accessoryChanges(cfg, changes, opts.Accessory); err != nil {
			return nil, err
		}
	}
	changes = orderChanges(changes, cfg)
	g, err := BuildGraph(changes, cfg)
	if err != nil {
		return nil, err
	}
	if opts.ProxyAtOnce {
		g = unchainProxies(g)
	}
	p := newPlan(cfg, opts, in, changes, g)
	if opts.RemoveVolumes {
		if p.Volumes, err = volumesOf(ctx, deps.Volumes, cfg, changes); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// inputs are what a plan is computed from.
type inputs struct {
	hosts    []string             // the declared hosts read, in order
	states   map[string]HostState // by host
	digests  map[string]string    // image reference -> digest
	departed []RosterHost         // hosts that left the configuration
	gone     map[string]HostState // the departed hosts read
}

// readInputs reads the hosts and resolves the images at once, then reads
// the departed hosts the roster names.
func readInputs(ctx context.Context, cfg *lang.Config, deps Deps, opts Options) (inputs, error) {
	in := inputs{hosts: hostsToRead(cfg, opts)}
	refs := imageRefs(cfg, opts)
	var (
		wg               sync.WaitGroup
		resolveErr, rErr error
	)
	wg.Go(func() { in.digests, resolveErr = resolveAll(ctx, deps.Digests, refs) })
	wg.Go(func() { in.states, rErr = readHosts(ctx, deps.State, cfg, in.hosts, opts.ReadParallelism) })
	wg.Wait()
	if err := errors.Join(rErr, resolveErr); err != nil {
		return in, err
	}
	in.departed = departedHosts(cfg, in.hosts, in.states)
	var err error
	if in.gone, err = readDeparted(ctx, deps.State, cfg, departedToRead(cfg, in.departed, opts), opts.ReadParallelism); err != nil {
		return in, err
	}
	if log := opts.Logger; log != nil {
		log.Debug("plan inputs read", "hosts", len(in.states), "departed", len(in.gone), "images", len(in.digests))
	}
	return in, nil
}

// newPlan assembles the plan of changes and their graph, with the
// snapshot of every host read.
func newPlan(cfg *lang.Config, opts Options, in inputs, changes []Change, g Graph) *Plan {
	p := &Plan{
		FormatVersion: FormatVersion,
		BerthVersion:  opts.BerthVersion,
		CreatedAt:     opts.Now().UTC().Truncate(time.Second),
		Service:       cfg.Service.Name,
		Destination:   cfg.Destination,
		Version:       cfg.Version.Full,
		ConfigHash:    cfg.Hash,
		Variables:     safeVariables(cfg.Variables),
		Images:        in.digests,
		Changes:       changes,
		Graph:         g,
		Targets:       slices.Clone(opts.Targets),
		Excludes:      slices.Clone(opts.Excludes),
		Destroy:       opts.Destroy,

		IncludeAccessories: opts.IncludeAccessories,
		RemoveVolumes:      opts.RemoveVolumes,
		AccessoryOp:        opts.Accessory,
		Departed:           in.departed,
		NoHooks:            opts.NoHooks,
		Stop:               opts.Stop,
		Replace:            slices.Clone(opts.Replace),
	}
	if !opts.NoHooks {
		p.Hooks = slices.Clone(opts.Hooks)
	}
	declared := hostIndex(cfg)
	for _, h := range in.hosts {
		p.Hosts = append(p.Hosts, snapshot(declared[h], in.states[h]))
	}
	for _, d := range in.departed {
		if st, ok := in.gone[d.Name]; ok {
			s := snapshot(nil, st)
			s.Address, s.Departed, s.User, s.Port = d.Address, true, d.User, d.Port
			p.Hosts = append(p.Hosts, s)
		}
	}
	return p
}

// imageRefs are the distinct image references to resolve.
func imageRefs(cfg *lang.Config, opts Options) []string {
	if opts.Destroy {
		return nil
	}
	var refs []string
	if op := opts.Accessory; op != nil {
		// Only the accessory's own image: stopping a database needs no
		// registry answer about the app.
		for i := range cfg.Accessories {
			if a := &cfg.Accessories[i]; a.Name == op.Name {
				if _, d := splitDigest(a.Image); d == "" {
					refs = append(refs, AccessoryRef(a))
				}
			}
		}
		return refs
	}
	if len(cfg.Roles) > 0 {
		refs = append(refs, ServiceRef(cfg))
	}
	if _, d := splitDigest(cfg.Proxy.Image); cfg.Proxied("") && d == "" {
		refs = append(refs, ProxyRef(cfg))
	}
	for i := range cfg.Accessories {
		a := &cfg.Accessories[i]
		if _, d := splitDigest(a.Image); d != "" {
			continue // pinned by digest already
		}
		if r := AccessoryRef(a); !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	return refs
}

func resolveAll(ctx context.Context, r DigestResolver, refs []string) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, ref := range refs {
		wg.Go(func() {
			d, err := r.Resolve(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if !strings.HasPrefix(err.Error(), "image "+ref+":") {
					err = fmt.Errorf("image %s: %w", ref, err)
				}
				errs = append(errs, err)
				return
			}
			out[ref] = d
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func readHosts(ctx context.Context, r StateReader, cfg *lang.Config, hosts []string, parallel int) (map[string]HostState, error) {
	if parallel <= 0 {
		parallel = readParallelism(len(hosts))
	}
	out := make(map[string]HostState, len(hosts))
	errs := make([]error, len(hosts)) // kept in host order for a stable message
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, parallel)
	)
	for i, h := range hosts {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = hostErr(cfg, h, ctx.Err())
				return
			}
			st, err := r.ReadState(ctx, h, cfg.StateName())
			if err != nil {
				errs[i] = hostErr(cfg, h, err)
				return
			}
			st.Host = h
			st.Containers = onlyService(st.Containers, cfg.Service.Name)
			mu.Lock()
			out[h] = st
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// onlyService drops any container not labelled with the service, should a
// reader return one: berth never reads other containers into a plan, but
// for the host's shared proxy.
func onlyService(cs []Container, service string) []Container {
	return slices.DeleteFunc(cs, func(c Container) bool {
		return c.Takeover == "" && c.Labels != nil && c.Labels[LabelService] != service && !c.IsProxy()
	})
}

func hostErr(cfg *lang.Config, host string, err error) error {
	e := &HostError{Host: host, Err: err}
	if h := cfg.Host(host); h != nil {
		e.Address = h.Address
	}
	return e
}

// HostError is a failure to read one host; its message starts with
// "host NAME (ADDRESS): ".
type HostError struct {
	Host, Address string
	Err           error
}

func (e *HostError) Error() string {
	msg := e.Err.Error()
	// Say the host once even when the reader's error already names it; the
	// SSH layer's "host NAME (ADDRESS:PORT): " says more than ours.
	msg = strings.TrimPrefix(msg, "host "+e.Host+": ")
	if strings.HasPrefix(msg, "host "+e.Host+" (") && strings.Contains(msg, "): ") {
		return msg
	}
	if e.Address != "" {
		return "host " + e.Host + " (" + e.Address + "): " + msg
	}
	return "host " + e.Host + ": " + msg
}

func (e *HostError) Unwrap() error { return e.Err }

// hostIndex maps the configuration's host names to their hosts, for the
// loops over every host (cfg.Host scans the list).
func hostIndex(cfg *lang.Config) map[string]*lang.Host {
	m := make(map[string]*lang.Host, len(cfg.Hosts))
	for i := range cfg.Hosts {
		m[cfg.Hosts[i].Name] = &cfg.Hosts[i]
	}
	return m
}

func snapshot(h *lang.Host, st HostState) HostSnapshot {
	s := HostSnapshot{Name: st.Host, Fingerprint: st.Fingerprint()}
	if h != nil {
		s.Name, s.Address = h.Name, h.Address
	}
	for _, c := range st.Containers {
		s.Containers = append(s.Containers, SnapshotContainer{ID: c.ID, Name: c.Name, State: c.State, Version: c.Version, ConfigHash: c.ConfigHash})
	}
	slices.SortFunc(s.Containers, func(a, b SnapshotContainer) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return s
}

// safeVariables copies the variables, keeping only a hash of sensitive ones.
func safeVariables(vs []lang.Variable) []lang.Variable {
	out := slices.Clone(vs)
	for i := range out {
		if out[i].Sensitive {
			out[i].Value = ""
		} else {
			out[i].Hash = ""
		}
	}
	return out
}
