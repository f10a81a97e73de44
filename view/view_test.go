package view

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

type fakeHosts map[string][]planner.Container

func (f fakeHosts) ReadState(_ context.Context, host, _ string) (planner.HostState, error) {
	return planner.HostState{Host: host, Containers: f[host]}, nil
}

type fakeDigests map[string]string

type fakeVolumes map[string][]string

func (f fakeVolumes) Volumes(_ context.Context, _, id string) ([]string, error) { return f[id], nil }

func (f fakeDigests) Resolve(_ context.Context, ref string) (string, error) { return f[ref], nil }

const secretValue = "s3cr3t-value-never-shown"

var digests = fakeDigests{
	"10.77.0.1:5000/shop:v1": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
	"10.77.0.1:5000/shop:v2": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
	"10.77.0.1:5000/cache:7": "sha256:7777777777777777777777777777777777777777777777777777777777777777",
}

var t0 = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func config(version, secret string) *lang.Config {
	return &lang.Config{
		Hash:    "sha256:c0ffee" + version,
		Service: lang.Service{Name: "shop", Image: "10.77.0.1:5000/shop"},
		Version: lang.Version{Full: version, Short: version},
		Hosts:   []lang.Host{{Name: "h1", Address: "10.77.0.11"}, {Name: "h2", Address: "10.77.0.12"}, {Name: "h3", Address: "10.77.0.13"}},
		Roles: []lang.Role{
			{Name: "web", Primary: true, Hosts: []string{"h1", "h2"}, Cmd: []string{"/app", "serve"},
				Ports:       []lang.Port{{HostPort: 80, ContainerPort: 8080}},
				Env:         map[string]string{"LOG_LEVEL": "info"},
				SecretEnv:   map[string]lang.Secret{"DB_PASSWORD": lang.NewSecret(`env("DB_PASSWORD")`, secret)},
				Healthcheck: &lang.Healthcheck{Cmd: []string{"/app", "check"}, Interval: time.Second, Retries: 3, Deadline: 30 * time.Second}},
			{Name: "worker", Hosts: []string{"h3"}, Cmd: []string{"/app", "work"}},
		},
		Accessories: []lang.Accessory{{Name: "cache", Image: "10.77.0.1:5000/cache:7", Hosts: []string{"h3"}}},
		Deploy:      lang.Deploy{StopTimeout: 10 * time.Second, ReadinessDelay: 3 * time.Second, Batch: 1},
		Variables:   []lang.Variable{{Name: "db_password", Sensitive: true, Hash: "sha256:abab"}, {Name: "version", Value: version}},
	}
}

// running returns hosts running every role and accessory of cfg.
func running(cfg *lang.Config) fakeHosts {
	f := fakeHosts{}
	add := func(h string, s planner.ContainerSpec) {
		id := "c" + string(rune('a'+len(f[h]))) + h
		f[h] = append(f[h], planner.Container{ID: id, Name: s.Name, Role: s.Labels[planner.LabelRole], Accessory: s.Labels[planner.LabelAccessory],
			Version: s.Labels[planner.LabelVersion], ConfigHash: s.ConfigHash, Image: s.Image, State: "running", Created: t0, Labels: s.Labels})
	}
	for i := range cfg.Roles {
		for _, h := range cfg.Roles[i].Hosts {
			add(h, planner.Spec(cfg, &cfg.Roles[i], h, digests[planner.ServiceRef(cfg)]))
		}
	}
	for i := range cfg.Accessories {
		for _, h := range cfg.Accessories[i].Hosts {
			add(h, planner.AccessorySpec(cfg, &cfg.Accessories[i], h, digests[planner.AccessoryRef(&cfg.Accessories[i])]))
		}
	}
	return f
}

func plan(t *testing.T, cfg *lang.Config, hosts fakeHosts, opts planner.Options) *planner.Plan {
	t.Helper()
	opts.Now = func() time.Time { return t0 }
	opts.BerthVersion = "0.1.0-test"
	vols := fakeVolumes{"cah3": {"shop-jobs"}, "cbh3": {"cache-data"}}
	p, err := planner.Build(context.Background(), cfg, planner.Deps{State: hosts, Digests: digests, Volumes: vols}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// scenarios are the plans the golden files render.
func scenarios(t *testing.T) map[string]*planner.Plan {
	mixed := config("v2", "new-"+secretValue)
	mixed.Roles[0].Env["LOG_LEVEL"] = "debug"
	mixed.Roles[1].Name = "jobs" // worker removed, jobs added
	return map[string]*planner.Plan{
		"mixed":     plan(t, mixed, running(config("v1", secretValue)), planner.Options{}),
		"empty":     plan(t, config("v1", secretValue), fakeHosts{}, planner.Options{}),
		"nochanges": plan(t, config("v1", secretValue), running(config("v1", secretValue)), planner.Options{}),
		"targeted":  plan(t, config("v2", secretValue), running(config("v1", secretValue)), planner.Options{Targets: []string{"worker"}}),
		"destroy": plan(t, config("v1", secretValue), running(config("v1", secretValue)),
			planner.Options{Destroy: true, IncludeAccessories: true, RemoveVolumes: true}),
	}
}

func TestGolden(t *testing.T) {
	for name, p := range scenarios(t) {
		renders := map[string]func(*bytes.Buffer) error{
			"txt":   func(b *bytes.Buffer) error { return Plan(b, p, HumanOptions{}) },
			"json":  func(b *bytes.Buffer) error { return PlanJSON(b, p) },
			"md":    func(b *bytes.Buffer) error { return PlanMarkdown(b, p) },
			"dot":   func(b *bytes.Buffer) error { return GraphDOT(b, p.Graph) },
			"mmd":   func(b *bytes.Buffer) error { return GraphMermaid(b, p.Graph) },
			"graph": func(b *bytes.Buffer) error { _, err := b.WriteString(p.Graph.String()); return err },
			"planfile": func(b *bytes.Buffer) error {
				path := filepath.Join(t.TempDir(), "plan.json")
				if err := planner.WriteFile(path, p); err != nil {
					return err
				}
				data, err := os.ReadFile(path)
				b.Write(data)
				return err
			},
		}
		for ext, render := range renders {
			t.Run(name+"."+ext, func(t *testing.T) {
				var b bytes.Buffer
				if err := render(&b); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(b.String(), secretValue) {
					t.Fatalf("output contains a secret value:\n%s", b.String())
				}
				golden(t, name+"."+ext, b.String())
			})
		}
	}
}

func TestPlanColor(t *testing.T) {
	var b bytes.Buffer
	if err := Plan(&b, scenarios(t)["mixed"], HumanOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{ansiGreen + "+" + ansiReset, ansiYellow + "~" + ansiReset, ansiRed + "-" + ansiReset} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in colour output", want)
		}
	}
	var plain bytes.Buffer
	_ = Plan(&plain, scenarios(t)["mixed"], HumanOptions{})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("escape codes without colour")
	}
}

func TestPlanJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := PlanJSON(&b, scenarios(t)["mixed"]); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Summary       struct {
			Create, Replace, Remove, Unchanged int
			Changes                            bool
		} `json:"summary"`
		Changes []struct {
			Action string `json:"action"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != JSONFormatVersion || !doc.Summary.Changes || doc.Summary.Create != 1 || doc.Summary.Replace != 2 || doc.Summary.Remove != 1 || doc.Summary.Unchanged != 1 {
		t.Errorf("document = %+v", doc)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	if got := code("a|b"); got != "`a\\|b`" {
		t.Errorf("code = %s", got)
	}
	if got := code("x `y` z"); got != "``x `y` z``" {
		t.Errorf("code = %s", got)
	}
	if got := cell("<b>|"); got != `&lt;b&gt;\|` {
		t.Errorf("cell = %s", got)
	}
}

// golden compares got with testdata/NAME.golden; -update rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, name, got)
}

// A saved plan's file and digest are in every rendering.
func TestFileInEveryRendering(t *testing.T) {
	p := scenarios(t)["mixed"]
	f := &FileInfo{Path: "plan.json", Digest: "sha256:3f2a"}
	var human, md, js bytes.Buffer
	if err := Plan(&human, p, HumanOptions{File: f}); err != nil {
		t.Fatal(err)
	}
	if err := PlanFileMarkdown(&md, p, f); err != nil {
		t.Fatal(err)
	}
	if err := PlanFileJSON(&js, p, f); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(human.String(), "Plan file: plan.json (sha256:3f2a)\n") {
		t.Errorf("human:\n%s", human.String())
	}
	if !strings.Contains(md.String(), "Plan file `plan.json`, `sha256:3f2a`") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var doc struct{ File FileInfo }
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || doc.File != *f {
		t.Errorf("json file = %+v (%v)", doc.File, err)
	}
}
