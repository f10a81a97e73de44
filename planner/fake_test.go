package planner

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	goldenfile "github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/lang"
)

// fakeHosts is a StateReader over in-memory host states.
type fakeHosts struct {
	mu      sync.Mutex
	states  map[string][]Container
	errs    map[string]error
	reads   []string
	rosters map[string][]RosterHost
	routes  map[string][]LiveRoute // the routes of each host's proxy
	added   []RosterHost
}

var _ HostAdder = (*fakeHosts)(nil)

func (f *fakeHosts) AddHost(h RosterHost) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.added = append(f.added, h)
	return nil
}

var _ StateReader = (*fakeHosts)(nil)

func (f *fakeHosts) ReadState(_ context.Context, host, service string) (HostState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, host)
	if err := f.errs[host]; err != nil {
		return HostState{}, err
	}
	return HostState{Host: host, Containers: append([]Container(nil), f.states[host]...), Roster: f.rosters[host], Routes: f.routes[host]}, nil
}

func (f *fakeHosts) put(host string, c Container) {
	if f.states == nil {
		f.states = map[string][]Container{}
	}
	f.states[host] = append(f.states[host], c)
}

// fakeDigests is a DigestResolver over a map; it counts calls per ref.
type fakeDigests struct {
	mu    sync.Mutex
	m     map[string]string
	calls map[string]int
}

var _ DigestResolver = (*fakeDigests)(nil)

func (f *fakeDigests) Resolve(_ context.Context, ref string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[ref]++
	d, ok := f.m[ref]
	if !ok {
		return "", errors.New("manifest unknown")
	}
	return d, nil
}

const (
	digestV1    = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestV2    = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	digestCache = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	secretValue = "hunter2-very-secret"
)

func newDigests() *fakeDigests {
	return &fakeDigests{m: map[string]string{
		"10.77.0.1:5000/shop:v1": digestV1,
		"10.77.0.1:5000/shop:v2": digestV2,
		"10.77.0.1:5000/cache:7": digestCache,
	}}
}

// testConfig: web (primary, h1 h2, port 80), worker (h3), accessory cache (h3).
func testConfig(version string) *lang.Config {
	return &lang.Config{
		Hash:    "sha256:cfg-" + version,
		Service: lang.Service{Name: "shop", Image: "10.77.0.1:5000/shop"},
		Version: lang.Version{Full: version, Short: version, Source: "var.version"},
		Hosts: []lang.Host{
			{Name: "h1", Address: "10.77.0.11"},
			{Name: "h2", Address: "10.77.0.12"},
			{Name: "h3", Address: "10.77.0.13"},
		},
		Roles: []lang.Role{
			{
				Name: "web", Primary: true, Hosts: []string{"h1", "h2"},
				Cmd:         []string{"/app", "serve"},
				Ports:       []lang.Port{{HostPort: 80, ContainerPort: 8080}},
				Env:         map[string]string{"LOG_LEVEL": "info"},
				SecretEnv:   map[string]lang.Secret{"DB_PASSWORD": lang.NewSecret(`env("DB_PASSWORD")`, secretValue)},
				Healthcheck: &lang.Healthcheck{Cmd: []string{"/app", "check"}, Interval: time.Second, Retries: 3, Deadline: 30 * time.Second},
				Stop:        lang.Stop{Timeout: 10 * time.Second},
			},
			{Name: "worker", Hosts: []string{"h3"}, Cmd: []string{"/app", "work"}, Stop: lang.Stop{Timeout: 10 * time.Second}},
		},
		Accessories: []lang.Accessory{
			{Name: "cache", Image: "10.77.0.1:5000/cache:7", Hosts: []string{"h3"}, Ports: []lang.Port{{HostPort: 6379, ContainerPort: 6379}}, Stop: lang.Stop{Timeout: 10 * time.Second}},
		},
		Deploy: lang.Deploy{Parallelism: 10, Retain: 3, StopTimeout: 10 * time.Second, ReadinessDelay: 3 * time.Second},
		Variables: []lang.Variable{
			{Name: "version", Value: version},
			{Name: "db_password", Sensitive: true, Value: secretValue, Hash: "sha256:feed"},
		},
	}
}

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// live is the container the executor would have started from spec.
func live(id string, spec ContainerSpec, state string, created time.Time) Container {
	return Container{
		ID: id, Name: spec.Name,
		Role: spec.Labels[LabelRole], Accessory: spec.Labels[LabelAccessory],
		Version: spec.Labels[LabelVersion], ConfigHash: spec.ConfigHash,
		Image: spec.Image, ImageID: "sha256:img" + id, State: state,
		Created: created, Labels: spec.Labels,
	}
}

// deployed returns fake hosts running every role and accessory of cfg.
func deployed(cfg *lang.Config, digest string) *fakeHosts {
	f := &fakeHosts{}
	n := 0
	for i := range cfg.Roles {
		r := &cfg.Roles[i]
		for _, h := range r.Hosts {
			n++
			f.put(h, live("c"+string(rune('0'+n)), Spec(cfg, r, h, digest), "running", t0))
		}
	}
	for i := range cfg.Accessories {
		a := &cfg.Accessories[i]
		for _, h := range a.Hosts {
			n++
			f.put(h, live("a"+string(rune('0'+n)), AccessorySpec(cfg, a, h, digestCache), "running", t0))
		}
	}
	return f
}

func build(t *testing.T, cfg *lang.Config, hosts *fakeHosts, opts Options) *Plan {
	t.Helper()
	opts.Now = func() time.Time { return t0 }
	opts.BerthVersion = "test"
	p, err := Build(context.Background(), cfg, Deps{State: hosts, Digests: newDigests()}, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

// golden compares got with testdata/NAME.golden; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, name, got)
}

type lcfg = lang.Config

func newSecret(v string) lang.Secret { return lang.NewSecret(`env("DB_PASSWORD")`, v) }

type lcfgHost = lang.Host
