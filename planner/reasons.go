package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Why a container is replaced: the fields of its spec that differ, in words.

// reasons lists what differs between a live container and the desired
// spec; empty when the container is the desired one and runs.
func reasons(c Container, d *ContainerSpec) []Reason {
	var rs []Reason
	newVersion := d.Labels[LabelVersion]
	versionChanged := c.Version != newVersion
	if versionChanged {
		rs = append(rs, Reason{Field: "version", Old: orNone(c.Version), New: newVersion})
	}
	if !sameConfig(c, d) {
		rs = append(rs, configReasons(c, d, versionChanged)...)
	}
	if !c.Running() {
		rs = append(rs, Reason{Field: "state", Old: orNone(c.State), New: "running"})
	}
	return rs
}

// configReasons says field by field what changed when the container carries
// a LabelSpec; otherwise only what is known: the digest and "config".
func configReasons(c Container, d *ContainerSpec, versionChanged bool) []Reason {
	newS, _ := ParseSpecSummary(d.Labels[LabelSpec])
	oldS, ok := ParseSpecSummary(c.Labels[LabelSpec])
	if !ok {
		var rs []Reason
		_, oldDigest := splitDigest(c.Image)
		if !versionChanged && oldDigest != newS.Digest {
			rs = append(rs, Reason{Field: "image", Old: shortDigest(orNone(oldDigest)), New: shortDigest(newS.Digest)})
		}
		return append(rs, Reason{Field: "config", Old: shortDigest(orNone(c.ConfigHash)), New: shortDigest(d.ConfigHash)})
	}
	rs := summaryReasons(oldS, newS, versionChanged)
	// A new version comes with a new digest; that alone needs no reason.
	if len(rs) == 0 && !(versionChanged && oldS.Digest != newS.Digest) {
		rs = append(rs, Reason{Field: "config", Old: shortDigest(orNone(c.ConfigHash)), New: shortDigest(d.ConfigHash)})
	}
	return rs
}

func summaryReasons(o, n SpecSummary, versionChanged bool) []Reason {
	var rs []Reason
	if !versionChanged && o.Digest != n.Digest {
		rs = append(rs, Reason{Field: "image", Old: shortDigest(orNone(o.Digest)), New: shortDigest(n.Digest)})
	}
	if !slices.Equal(o.Cmd, n.Cmd) {
		rs = append(rs, Reason{Field: "cmd", Old: argv(o.Cmd), New: argv(n.Cmd)})
	}
	rs = append(rs, mapReasons("env.", o.Env, n.Env, false)...)
	rs = append(rs, mapReasons("secret_env.", o.SecretEnv, n.SecretEnv, true)...)
	if !slices.Equal(o.Ports, n.Ports) {
		rs = append(rs, Reason{Field: "ports", Old: list(portStrings(o.Ports)), New: list(portStrings(n.Ports))})
	}
	if !slices.Equal(o.Volumes, n.Volumes) {
		rs = append(rs, Reason{Field: "volumes", Old: list(o.Volumes), New: list(n.Volumes)})
	}
	if oh, nh := o.Health.Describe(), n.Health.Describe(); oh != nh {
		rs = append(rs, Reason{Field: "healthcheck", Old: oh, New: nh})
	}
	rs = append(rs, mapReasons("labels.", o.Labels, n.Labels, false)...)
	if r, ok := networkReason(o, n); ok {
		rs = append(rs, r)
	}
	if op, np := o.Proxy.Describe(), n.Proxy.Describe(); op != np {
		rs = append(rs, Reason{Field: "proxy", Old: op, New: np})
	}
	rs = append(rs, optionReasons(o.Options, n.Options)...)
	return rs
}

// mapReasons diffs two maps key by key; sensitive values show as "(sensitive)".
func mapReasons(prefix string, o, n map[string]string, sensitive bool) []Reason {
	show := func(v string) string {
		if sensitive {
			return "(sensitive)"
		}
		return v
	}
	keys := slices.Sorted(maps.Keys(o))
	for k := range n {
		if _, ok := o[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var rs []Reason
	for _, k := range keys {
		ov, inO := o[k]
		nv, inN := n[k]
		switch {
		case !inO:
			rs = append(rs, Reason{Field: prefix + k, New: show(nv), Op: OpAdded})
		case !inN:
			rs = append(rs, Reason{Field: prefix + k, Old: show(ov), Op: OpRemoved})
		case ov != nv:
			rs = append(rs, Reason{Field: prefix + k, Old: show(ov), New: show(nv)})
		}
	}
	return rs
}

// Describe renders a health check in one line, e.g. `cmd ["/app","check"] every 1s, 3 retries, deadline 30s`.
func (h HealthSpec) Describe() string {
	var what string
	switch h.Kind {
	case HealthCmd:
		what = "cmd " + argv(h.Cmd)
	case HealthShell:
		what = fmt.Sprintf("shell %q", h.Shell)
	case HealthHTTP:
		what = fmt.Sprintf("http GET :%d%s", h.HTTPPort, h.HTTPPath)
	case HealthAuto:
		return "image HEALTHCHECK, else running for " + h.Deadline.String()
	default:
		what = string(h.Kind)
	}
	s := what + " every " + h.Interval.String()
	if h.Retries > 0 {
		s += fmt.Sprintf(", %d retries", h.Retries)
	}
	s += ", deadline " + h.Deadline.String()
	if h.SteadyInterval > 0 {
		s += ", then every " + h.SteadyInterval.String()
	}
	return s
}

func argv(a []string) string {
	if len(a) == 0 {
		return "(image default)"
	}
	q := make([]string, len(a))
	for i, s := range a {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func list(a []string) string {
	if len(a) == 0 {
		return "(none)"
	}
	return strings.Join(a, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
