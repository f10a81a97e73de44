package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/berth-sh/berth/internal/imageref"
	"github.com/berth-sh/berth/lang"
)

// SpecSummary is the non-secret part of a container spec that shapes the
// container. It is what the config hash is computed over, and its compact
// JSON is stored in the LabelSpec label so that the next plan can diff
// field by field. Secrets appear only as salted hashes.
type SpecSummary struct {
	Digest    string            `json:"digest"`
	Cmd       []string          `json:"cmd,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	SecretEnv map[string]string `json:"secret_env,omitempty"`
	Ports     []lang.Port       `json:"ports,omitempty"`
	Volumes   []string          `json:"volumes,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"` // the user's labels only
	Health    HealthSpec        `json:"health"`
	// StopTimeout is always zero for the containers this berth starts: how
	// a container is stopped is given at stop time and does not shape it.
	// Containers of berth 0.1 carry it; LegacyHash drops it again.
	StopTimeout time.Duration `json:"stop_timeout,omitempty"`
	Network     string        `json:"network,omitempty"`
	Aliases     []string      `json:"aliases,omitempty"` // DNS names on Network
	Proxy       *ProxyRoute   `json:"proxy,omitempty"`
	// Options are the container's Docker options; nil when it sets none.
	Options *ContainerOptions `json:"options,omitempty"`
}

// Spec is the container that role wants on host, running the service image
// at the configuration's version with the given manifest digest.
func Spec(cfg *lang.Config, role *lang.Role, host string, digest string) ContainerSpec {
	short := cfg.Version.Short
	if short == "" {
		short = cfg.Version.Full
	}
	s := SpecSummary{
		Digest:    digest,
		Cmd:       slices.Clone(role.Cmd),
		Env:       maps.Clone(role.Env),
		SecretEnv: secretHashes(role.SecretEnv, cfg.Service.Name+"/"+role.Name),
		Ports:     slices.Clone(role.Ports),
		Volumes:   slices.Clone(role.Volumes),
		Labels:    maps.Clone(role.Labels),
		Health:    healthSpec(role.Healthcheck, cfg.Deploy),
		Proxy:     proxyRoute(cfg, role),
		Options:   containerOptions(role.Options),
		Network:   cfg.Network(),
	}
	labels := map[string]string{LabelRole: role.Name}
	spec := finishSpec(cfg, s, labels, namePrefix(cfg)+"-"+role.Name+"-"+short,
		ServiceRef(cfg), cfg.Version.Full)
	spec.StopSignal, spec.StopTimeout = role.Stop.Signal, role.Stop.Timeout
	return spec
}

// AccessorySpec is the container of accessory acc on host. Its name is fixed
// ("SERVICE-ACCESSORY") and its version is the tag of its image.
func AccessorySpec(cfg *lang.Config, acc *lang.Accessory, host string, digest string) ContainerSpec {
	s := SpecSummary{
		Digest:    digest,
		Cmd:       slices.Clone(acc.Cmd),
		Env:       maps.Clone(acc.Env),
		SecretEnv: secretHashes(acc.SecretEnv, cfg.Service.Name+"/accessory."+acc.Name),
		Ports:     slices.Clone(acc.Ports),
		Volumes:   slices.Clone(acc.Volumes),
		Labels:    maps.Clone(acc.Labels),
		Health:    healthSpec(acc.Healthcheck, cfg.Deploy),
		Options:   containerOptions(acc.Options),
		Network:   cfg.Network(),
		Aliases:   accessoryAliases(cfg, acc),
		Proxy:     accessoryRoute(cfg, acc),
	}
	labels := map[string]string{LabelAccessory: acc.Name}
	ref := AccessoryRef(acc)
	spec := finishSpec(cfg, s, labels, namePrefix(cfg)+"-"+acc.Name, ref, imageTag(ref))
	spec.StopSignal, spec.StopTimeout = acc.Stop.Signal, acc.Stop.Timeout
	return spec
}

// namePrefix starts the names of the service's containers: SERVICE, or
// SERVICE-DESTINATION under a destination.
func namePrefix(cfg *lang.Config) string {
	if cfg.Destination == "" {
		return cfg.Service.Name
	}
	return cfg.Service.Name + "-" + cfg.Destination
}

// ServiceRef is the image reference the service's roles run: "repo:version".
func ServiceRef(cfg *lang.Config) string { return cfg.Service.Image + ":" + cfg.Version.Full }

// AccessoryRef is an accessory's image reference "repo:tag" without any
// digest, ":latest" added when it has no tag.
func AccessoryRef(acc *lang.Accessory) string {
	r := imageref.Split(acc.Image)
	return r.WithTag(r.Tag).Named()
}

func finishSpec(cfg *lang.Config, s SpecSummary, own map[string]string, name, ref, version string) ContainerSpec {
	labels := maps.Clone(s.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, own)
	labels[LabelService] = cfg.Service.Name
	if cfg.Destination != "" {
		labels[LabelDestination] = cfg.Destination
	}
	labels[LabelVersion] = version
	hash := s.Hash()
	labels[LabelConfig] = hash
	labels[LabelSpec] = s.JSON()
	image := ref
	if s.Digest != "" {
		image += "@" + s.Digest
	}
	return ContainerSpec{
		Name:        name,
		Image:       image,
		Cmd:         s.Cmd,
		Env:         s.Env,
		SecretEnv:   s.SecretEnv,
		Ports:       s.Ports,
		Volumes:     s.Volumes,
		Labels:      labels,
		Health:      s.Health,
		StopTimeout: cfg.Deploy.StopTimeout,
		ConfigHash:  hash,
		Network:     s.Network,
		Aliases:     s.Aliases,
		Proxy:       s.Proxy,
		Options:     s.Options,
	}
}

// JSON is the compact, canonical encoding of s (map keys sorted).
func (s SpecSummary) JSON() string {
	b, err := json.Marshal(s)
	if err != nil { // cannot happen: plain strings, slices and maps
		return "{}"
	}
	return string(b)
}

// Hash is the config hash of s: "sha256:<hex>" of its canonical JSON.
// The version is not part of it; it is a label of its own.
func (s SpecSummary) Hash() string {
	sum := sha256.Sum256([]byte("berth-config-v1\x00" + s.JSON()))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// LegacyHash is the config hash a container of berth 0.1 would have now
// that the stop timeout no longer shapes a container; ok is false when its
// LabelSpec cannot be read.
func LegacyHash(specLabel string) (string, bool) {
	s, ok := ParseSpecSummary(specLabel)
	if !ok || s.StopTimeout == 0 {
		return "", false
	}
	s.StopTimeout = 0
	return s.Hash(), true
}

// ParseSpecSummary decodes a LabelSpec label; ok is false when it is
// missing or malformed (a container started by another tool version).
func ParseSpecSummary(label string) (SpecSummary, bool) {
	var s SpecSummary
	if label == "" || json.Unmarshal([]byte(label), &s) != nil {
		return SpecSummary{}, false
	}
	return s, true
}

func secretHashes(secrets map[string]lang.Secret, salt string) map[string]string {
	if len(secrets) == 0 {
		return nil
	}
	out := make(map[string]string, len(secrets))
	for k, v := range secrets {
		out[k] = v.Hash(salt + "/" + k)
	}
	return out
}

func portStrings(ports []lang.Port) []string {
	if len(ports) == 0 {
		return nil
	}
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = p.String()
	}
	return out
}

func healthSpec(hc *lang.Healthcheck, d lang.Deploy) HealthSpec {
	if hc == nil {
		return HealthSpec{Kind: HealthAuto, Interval: lang.ProbeInterval, Deadline: d.ReadinessDelay}
	}
	h := HealthSpec{Interval: hc.Interval, Retries: hc.Retries, Deadline: hc.Deadline, SteadyInterval: hc.SteadyInterval}
	switch {
	case len(hc.Cmd) > 0:
		h.Kind, h.Cmd = HealthCmd, slices.Clone(hc.Cmd)
	case hc.Shell != "":
		h.Kind, h.Shell = HealthShell, hc.Shell
	case hc.HTTP != nil:
		h.Kind, h.HTTPPath, h.HTTPPort = HealthHTTP, hc.HTTP.Path, hc.HTTP.Port
	default:
		h.Kind = HealthAuto
	}
	return h
}

// splitDigest splits "repo:tag@sha256:..." into "repo:tag" and "sha256:...".
func splitDigest(ref string) (string, string) {
	r := imageref.Split(ref)
	return r.Named(), r.Digest
}

// imageTag returns the tag of "host:port/repo:tag", or "latest".
func imageTag(ref string) string { return imageref.Split(ref).TagOrLatest() }

// shortDigest abbreviates "sha256:abcdef..." to "sha256:abcdef123456…".
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12] + "…"
	}
	return d
}
