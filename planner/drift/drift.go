package drift

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/internal/imageref"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// Marks of a Row.
const (
	Drift     = "DRIFT"     // differs from the configuration
	Unclaimed = "UNCLAIMED" // no role or accessory of the configuration claims it
	Retained  = "retained"  // an old stopped container kept for a rollback
	// Unreachable marks a host that could not be read: what runs there
	// is unknown.
	Unreachable = "UNREACHABLE"
)

// Row is one line of berth status: a container, or a missing one.
type Row struct {
	Host      string    `json:"host"`
	Role      string    `json:"role,omitempty"`
	Accessory string    `json:"accessory,omitempty"`
	Proxy     bool      `json:"proxy,omitempty"`     // the host's kamal-proxy
	Container string    `json:"container,omitempty"` // empty: none exists
	ID        string    `json:"id,omitempty"`
	Version   string    `json:"version,omitempty"`
	State     string    `json:"state"` // Docker's, or "missing"
	Health    string    `json:"health,omitempty"`
	Created   time.Time `json:"created,omitzero"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Digest    string    `json:"digest,omitempty"`
	// Mark is Drift, Unclaimed, Retained, Unreachable or empty (the
	// container the configuration wants, running).
	Mark    string   `json:"mark,omitempty"`
	Reasons []string `json:"reasons,omitempty"`
	// Unreachable: the host could not be read; Error says why and the
	// row stands for the whole host (no role, state "unknown").
	Unreachable bool   `json:"unreachable,omitempty"`
	Error       string `json:"error,omitempty"`
}

// What names the row's role or accessory: "web" or "accessory.cache"
// ("*" for an unreachable host's row).
func (r Row) What() string {
	if r.Unreachable {
		return "*"
	}
	if r.Proxy {
		return planner.ProxyContainer
	}
	if r.Accessory != "" {
		return "accessory." + r.Accessory
	}
	return r.Role
}

// Compare returns the rows of every host in the order of states: per host
// the configuration's roles (primary first), then its accessories, then
// unclaimed containers; within one, the serving container first, then the
// others newest first.
func Compare(cfg *lang.Config, states []planner.HostState) []Row {
	var out []Row
	for _, st := range states {
		groups := map[key][]planner.Container{}
		for _, c := range st.Containers {
			k := key{role: c.Role, accessory: c.Accessory, proxy: c.IsProxy() || c.IsAdoptedProxy()}
			groups[k] = append(groups[k], c)
		}
		for _, r := range cfg.Roles {
			if !slices.Contains(r.Hosts, st.Host) {
				continue
			}
			k := key{role: r.Name}
			want := func(digest string) planner.ContainerSpec { return planner.Spec(cfg, &r, st.Host, digest) }
			out = append(out, claimed(st.Host, k, groups[k], cfg.Version.Full, want)...)
			delete(groups, k)
		}
		for i := range cfg.Accessories {
			a := &cfg.Accessories[i]
			if !slices.Contains(a.Hosts, st.Host) {
				continue
			}
			k := key{accessory: a.Name}
			spec := planner.AccessorySpec(cfg, a, st.Host, "")
			want := func(digest string) planner.ContainerSpec {
				if _, pinned := splitDigest(a.Image); pinned != "" {
					digest = pinned
				}
				return planner.AccessorySpec(cfg, a, st.Host, digest)
			}
			out = append(out, claimed(st.Host, k, groups[k], spec.Labels[planner.LabelVersion], want)...)
			delete(groups, k)
		}
		out = append(out, proxyRows(cfg, st, groups)...)
		keys := make([]key, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.accessory, b.accessory), cmp.Compare(a.role, b.role)) })
		for _, k := range keys {
			for _, c := range newestFirst(groups[k]) {
				r := row(st.Host, c)
				r.Mark = Unclaimed
				r.Reasons = []string{unclaimedReason(cfg, k, st.Host)}
				out = append(out, r)
			}
		}
	}
	return out
}

// proxyRows are the rows of the host's shared proxy, taken out of groups:
// claimed when a role of the service is proxied there; left out when the
// service has nothing to do with it or leaves it to other services'
// routes (the proxy is shared); else they stay unclaimed.
func proxyRows(cfg *lang.Config, st planner.HostState, groups map[key][]planner.Container) []Row {
	k := key{proxy: true}
	if r, ok := adoptedRow(st.Host, groups[k]); ok && cfg.Proxied(st.Host) {
		delete(groups, k)
		return []Row{r}
	}
	if cfg.Proxied(st.Host) {
		https := planner.WantsHTTPS(cfg, st.Host, st)
		spec := planner.ProxySpec(cfg, st.Host, "", https)
		want := func(digest string) planner.ContainerSpec { return planner.ProxySpec(cfg, st.Host, digest, https) }
		defer delete(groups, k)
		return claimed(st.Host, k, groups[k], spec.Labels[planner.LabelVersion], want)
	}
	if !planner.UsesProxy(cfg, st) || len(planner.OtherRoutes(cfg, st)) > 0 {
		delete(groups, k)
	}
	return nil
}

// CompareHosts is Compare over every host of the configuration, in its
// order (then any other host of states): a host in unread (which could not be read, with the error)
// is one Unreachable row instead of its containers.
func CompareHosts(cfg *lang.Config, states []planner.HostState, unread map[string]error) []Row {
	byHost := make(map[string]planner.HostState, len(states))
	for _, st := range states {
		byHost[st.Host] = st
	}
	var out []Row
	for _, h := range cfg.Hosts {
		if err, ok := unread[h.Name]; ok {
			msg := "cannot be read"
			if err != nil {
				msg = err.Error()
			}
			out = append(out, Row{Host: h.Name, State: "unknown", Mark: Unreachable, Unreachable: true, Error: msg,
				Reasons: []string{msg}})
			continue
		}
		if st, ok := byHost[h.Name]; ok {
			out = append(out, Compare(cfg, []planner.HostState{st})...)
			delete(byHost, h.Name)
		}
	}
	// States of hosts the configuration does not declare, as given.
	for _, st := range states {
		if _, ok := byHost[st.Host]; ok {
			out = append(out, Compare(cfg, []planner.HostState{st})...)
		}
	}
	return out
}

// AllClear reports whether rows show every host read and running what the
// configuration says: no Drift, Unclaimed or Unreachable row.
func AllClear(rows []Row) bool {
	for _, r := range rows {
		switch r.Mark {
		case Drift, Unclaimed, Unreachable:
			return false
		}
	}
	return true
}

type key struct {
	role, accessory string
	proxy           bool
}

// claimed rows the containers of one role or accessory on a host.
func claimed(host string, k key, group []planner.Container, version string, want func(digest string) planner.ContainerSpec) []Row {
	if len(group) == 0 {
		return []Row{{Host: host, Role: k.role, Accessory: k.accessory, Proxy: k.proxy, State: "missing", Mark: Drift,
			Reasons: []string{"no container: the configuration wants " + version + " here"}}}
	}
	group = newestFirst(group)
	serving := slices.IndexFunc(group, planner.Container.Running)
	var out []Row
	if serving < 0 {
		// Nothing runs: the newest container should (killed or stopped by hand).
		r := row(host, group[0])
		r.Mark = Drift
		why := "not running: the configuration wants " + version + " running here"
		if k.accessory != "" {
			why += " (berth accessory start " + k.accessory + " or berth apply starts it)"
		}
		r.Reasons = append([]string{why}, differences(group[0], version, want)...)
		out = append(out, r)
		serving = 0
	} else {
		r := row(host, group[serving])
		if d := differences(group[serving], version, want); len(d) > 0 {
			r.Mark, r.Reasons = Drift, d
		}
		out = append(out, r)
	}
	for i, c := range group {
		if i == serving {
			continue
		}
		r := row(host, c)
		if c.Running() {
			r.Mark, r.Reasons = Drift, []string{"another container of " + k.what() + " runs too"}
		} else {
			r.Mark = Retained
		}
		out = append(out, r)
	}
	return out
}

func (k key) what() string {
	if k.proxy {
		return planner.ProxyContainer
	}
	if k.accessory != "" {
		return "accessory." + k.accessory
	}
	return k.role
}

// differences says how container c differs from what the configuration
// wants, comparing its config hash with the one the configuration gives
// c's own image digest.
func differences(c planner.Container, version string, want func(digest string) planner.ContainerSpec) []string {
	var out []string
	if c.Version != version {
		out = append(out, "version "+orNone(c.Version)+", the configuration says "+version)
	}
	_, digest := splitDigest(c.Image)
	spec := want(digest)
	if legacy, ok := planner.LegacyHash(c.Labels[planner.LabelSpec]); c.ConfigHash != spec.ConfigHash && (!ok || legacy != spec.ConfigHash) {
		out = append(out, "config differs from the configuration's"+fields(c, spec))
	}
	return out
}

// fields names the fields that differ, when the container carries its
// spec summary label.
func fields(c planner.Container, spec planner.ContainerSpec) string {
	old, ok1 := planner.ParseSpecSummary(c.Labels[planner.LabelSpec])
	cur, ok2 := planner.ParseSpecSummary(spec.Labels[planner.LabelSpec])
	if !ok1 || !ok2 {
		return ""
	}
	var f []string
	add := func(name string, differ bool) {
		if differ {
			f = append(f, name)
		}
	}
	add("cmd", !slices.Equal(old.Cmd, cur.Cmd))
	add("env", !mapsEqual(old.Env, cur.Env))
	add("secret_env", !mapsEqual(old.SecretEnv, cur.SecretEnv))
	add("ports", !slices.Equal(old.Ports, cur.Ports))
	add("volumes", !slices.Equal(old.Volumes, cur.Volumes))
	add("labels", !mapsEqual(old.Labels, cur.Labels))
	add("healthcheck", old.Health.Describe() != cur.Health.Describe())
	if len(f) == 0 {
		return ""
	}
	return " (" + strings.Join(f, ", ") + ")"
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func unclaimedReason(cfg *lang.Config, k key, host string) string {
	if cfg.Host(host) == nil {
		return "host " + host + " left the configuration (the roster still lists it); berth apply removes it"
	}
	if k.proxy {
		return "no role on " + host + " is proxied any more"
	}
	if k.accessory != "" {
		for _, a := range cfg.Accessories {
			if a.Name == k.accessory {
				return "accessory " + k.accessory + " no longer runs on " + host
			}
		}
		return "accessory " + k.accessory + " is no longer in the configuration"
	}
	for _, r := range cfg.Roles {
		if r.Name == k.role {
			return "role " + k.role + " no longer runs on " + host
		}
	}
	return "role " + k.role + " is no longer in the configuration"
}

func row(host string, c planner.Container) Row {
	_, digest := splitDigest(c.Image)
	return Row{Host: host, Role: c.Role, Accessory: c.Accessory, Proxy: c.IsProxy(), Container: c.Name, ID: c.ID, Version: c.Version,
		State: c.State, Health: c.Health, Created: c.Created, StartedAt: c.StartedAt, Digest: digest}
}

func newestFirst(cs []planner.Container) []planner.Container {
	cs = slices.Clone(cs)
	slices.SortStableFunc(cs, func(a, b planner.Container) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.Name, a.Name))
	})
	return cs
}

func splitDigest(ref string) (string, string) {
	r := imageref.Split(ref)
	return r.Named(), r.Digest
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// adoptedRow is the row of Kamal's proxy where a takeover adopted it: it
// runs and berth's proxy does not.
func adoptedRow(host string, group []planner.Container) (Row, bool) {
	var adopted *planner.Container
	for i, c := range group {
		if c.Running() && !c.IsAdoptedProxy() {
			return Row{}, false
		}
		if c.Running() {
			adopted = &group[i]
		}
	}
	if adopted == nil {
		return Row{}, false
	}
	r := row(host, *adopted)
	r.Proxy = true
	r.Reasons = []string{"Kamal's proxy, adopted as the host's proxy: the routes switch inside it"}
	return r, true
}
