package rollback

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/internal/imageref"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// ErrNotRetained is matched by the error of Check when a version has no
// container left on a host and role that need it.
var ErrNotRetained = errors.New("version is not retained")

// ErrNoDigest is matched by Resolver errors: no live container was created
// from the image reference.
var ErrNoDigest = errors.New("no retained container of this image")

// Retained is one version of a role or accessory present on a host.
type Retained struct {
	Host      string    `json:"host"`
	Role      string    `json:"role,omitempty"`
	Accessory string    `json:"accessory,omitempty"`
	Version   string    `json:"version"`
	Container string    `json:"container"`
	State     string    `json:"state"`
	Created   time.Time `json:"created"`
	Image     string    `json:"image"`
}

// List returns every container of the states as a Retained entry, by host
// (in the order given), role before accessory, name, then newest first.
func List(states []planner.HostState) []Retained {
	var out []Retained
	for _, st := range states {
		var host []Retained
		for _, c := range st.Containers {
			host = append(host, Retained{Host: st.Host, Role: c.Role, Accessory: c.Accessory, Version: c.Version,
				Container: c.Name, State: c.State, Created: c.Created, Image: c.Image})
		}
		slices.SortStableFunc(host, func(a, b Retained) int {
			return cmp.Or(cmp.Compare(a.Accessory, b.Accessory), cmp.Compare(a.Role, b.Role), b.Created.Compare(a.Created), cmp.Compare(a.Container, b.Container))
		})
		out = append(out, host...)
	}
	return out
}

// Check refuses version unless every (host, role) of the configuration
// has a container of it, running or stopped. The error names each host
// and role that lacks it and the versions retained there.
func Check(cfg *lang.Config, states []planner.HostState, version string) error {
	byHost := make(map[string]planner.HostState, len(states))
	for _, st := range states {
		byHost[st.Host] = st
	}
	var errs []error
	for _, r := range cfg.Roles {
		for _, h := range r.Hosts {
			var have []string
			found := false
			for _, c := range byHost[h].Containers {
				if c.Role != r.Name || c.Accessory != "" {
					continue
				}
				if c.Version == version {
					found = true
				}
				if !slices.Contains(have, c.Version) {
					have = append(have, c.Version)
				}
			}
			if found {
				continue
			}
			slices.Sort(have)
			errs = append(errs, &NotRetainedError{Host: h, Role: r.Name, Version: version, Retained: have})
		}
	}
	return errors.Join(errs...)
}

// NotRetainedError says that a host and role have no container of a
// version, and which versions they do have. It matches ErrNotRetained.
type NotRetainedError struct {
	Host, Role, Version string
	Retained            []string
}

func (e *NotRetainedError) Error() string {
	there := "nothing"
	if len(e.Retained) > 0 {
		there = strings.Join(e.Retained, ", ")
	}
	return fmt.Sprintf("version %s is not retained on %s (%s): retained there: %s", e.Version, e.Host, e.Role, there)
}

// Is makes errors.Is(err, ErrNotRetained) true.
func (e *NotRetainedError) Is(target error) bool { return target == ErrNotRetained }

// Resolver answers image digests from the live containers: a container
// created from "repo:tag@sha256:..." tells the digest of "repo:tag". It
// asks no registry. It implements planner.DigestResolver.
type Resolver struct {
	digests map[string][]string // ref -> distinct digests
}

var _ planner.DigestResolver = (*Resolver)(nil)

// NewResolver indexes the images of every container of the states.
func NewResolver(states []planner.HostState) *Resolver {
	r := &Resolver{digests: map[string][]string{}}
	for _, st := range states {
		for _, c := range st.Containers {
			img := imageref.Split(c.Image)
			if img.Digest == "" {
				continue
			}
			ref, d := img.Named(), img.Digest
			if !slices.Contains(r.digests[ref], d) {
				r.digests[ref] = append(r.digests[ref], d)
			}
		}
	}
	return r
}

// Resolve returns the digest the retained containers of ref were created
// from. Two different digests (the tag moved between deploys) are an error:
// a rollback must not pick one silently.
func (r *Resolver) Resolve(_ context.Context, ref string) (string, error) {
	ds := r.digests[ref]
	switch len(ds) {
	case 0:
		return "", fmt.Errorf("image %s: %w on the hosts", ref, ErrNoDigest)
	case 1:
		return ds[0], nil
	}
	slices.Sort(ds)
	return "", fmt.Errorf("image %s: the retained containers were created from different digests (%s): the tag moved; deploy the version you want with berth apply", ref, strings.Join(ds, ", "))
}

// Snapshot is a planner.StateReader that answers from states read before,
// so that the plan sees exactly what Check saw.
type Snapshot map[string]planner.HostState

var _ planner.StateReader = Snapshot(nil)

// NewSnapshot indexes states by host.
func NewSnapshot(states []planner.HostState) Snapshot {
	s := make(Snapshot, len(states))
	for _, st := range states {
		s[st.Host] = st
	}
	return s
}

// ReadState returns the recorded state of host.
func (s Snapshot) ReadState(_ context.Context, host, _ string) (planner.HostState, error) {
	st, ok := s[host]
	if !ok {
		return planner.HostState{}, fmt.Errorf("host %s was not read", host)
	}
	return st, nil
}

// Plan checks that version is retained wherever cfg's roles run and plans
// the return to it from states: the roles only, digests from the retained
// containers. It returns the plan and the configuration to apply it with
// (cfg at version, without accessories).
func Plan(ctx context.Context, cfg *lang.Config, states []planner.HostState, version string, opts planner.Options) (*planner.Plan, *lang.Config, error) {
	if err := Check(cfg, states, version); err != nil {
		return nil, nil, err
	}
	rc := WithVersion(cfg, version)
	p, err := planner.Build(ctx, rc, planner.Deps{State: NewSnapshot(states), Digests: NewResolver(states)}, opts)
	if err != nil {
		return nil, nil, err
	}
	p.Changes = RolesOnly(p.Changes)
	if p.Graph, err = planner.BuildGraph(p.Changes, rc); err != nil {
		return nil, nil, err
	}
	return p, rc, nil
}

// WithVersion returns a copy of cfg that deploys version instead of its
// own and has no accessories: a rollback touches only the roles.
func WithVersion(cfg *lang.Config, version string) *lang.Config {
	c := *cfg
	c.Version = lang.Version{Full: version, Short: lang.ShortVersion(version), Source: "rollback"}
	c.Accessories = nil
	return &c
}

// RolesOnly keeps the changes of the configuration's roles: a rollback
// neither touches accessories nor removes what the configuration left.
func RolesOnly(changes []planner.Change) []planner.Change {
	var out []planner.Change
	for _, c := range changes {
		if c.Address.Accessory != "" || c.Action == planner.ActionRemove {
			continue
		}
		out = append(out, c)
	}
	return out
}
