package planner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-sh/berth/lang"
)

func TestPlanFileRoundTrip(t *testing.T) {
	p := build(t, testConfig("v2"), deployed(testConfig("v1"), digestV1), Options{})
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v", st.Mode())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), secretValue) {
		t.Error("plan file contains a secret value")
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Compare(got, p); err != nil {
		t.Errorf("plan changed in a round trip: %v", err)
	}
	if !reflect.DeepEqual(got.Graph, p.Graph) || !reflect.DeepEqual(got.Hosts, p.Hosts) {
		t.Errorf("graph or hosts changed in a round trip:\n%+v\n%+v", got.Hosts, p.Hosts)
	}
	if strings.Contains(string(b), "\n  ") || strings.Count(string(b), "\n") != 1 {
		t.Error("plan file is not compact")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// Written one element at a time, the file is byte for byte what
	// encoding/json makes of the whole plan at once.
	whole, err := json.Marshal(toFile(p))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(whole)+"\n" {
		t.Errorf("streamed file differs from the whole encoding:\n%s\n%s", b, whole)
	}
}

// A 2.0 file (indented, every step with its kind and address, every host
// with its containers, live containers with their labels) reads as the
// same plan.
func TestPlanFileV2Upgraded(t *testing.T) {
	p := build(t, testConfig("v2"), deployed(testConfig("v1"), digestV1), Options{})
	old := *p
	old.FormatVersion = "2.0"
	b, err := json.MarshalIndent(&old, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode("old.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != FormatVersion {
		t.Errorf("format version %s after the upgrade", got.FormatVersion)
	}
	if err := Compare(got, p); err != nil {
		t.Error(err)
	}
	if !reflect.DeepEqual(got.Graph, p.Graph) || !reflect.DeepEqual(got.Hosts, p.Hosts) {
		t.Error("graph or hosts differ")
	}
}

// A 3.0 file, made before destinations, reads as the plan without one.
func TestPlanFileV3Upgraded(t *testing.T) {
	p := build(t, testConfig("v2"), deployed(testConfig("v1"), digestV1), Options{})
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`"format_version":"4.0"`), []byte(`"format_version":"3.0"`), 1)
	got, err := Decode("old.json", b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"format_version":"3.0"`)) || got.FormatVersion != FormatVersion || got.Destination != "" {
		t.Errorf("format version %s, destination %q after the upgrade", got.FormatVersion, got.Destination)
	}
	if err := Compare(got, p); err != nil {
		t.Error(err)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		is            error
		msg           string
	}{
		{"text", "hello", ErrNotPlanFile, "not JSON"},
		{"noversion", `{"service":"shop"}`, ErrNotPlanFile, "no format_version"},
		{"array", `[1, 2]`, ErrNotPlanFile, "cannot unmarshal array"},
		{"numberversion", `{"format_version": 1}`, ErrNotPlanFile, "cannot unmarshal number"},
		{"badfield", `{"format_version": "1.0", "changes": "x"}`, ErrNotPlanFile, "cannot unmarshal string"},
		{"newer", `{"format_version":"5.0","future":true}`, ErrPlanVersion, "format version 5.0 is newer than this berth supports (4.x); upgrade berth"},
		{"older", `{"format_version":"0.9"}`, ErrPlanVersion, "older"},
		{"garbage", `{"format_version":"x.y"}`, ErrPlanVersion, `"x.y"`},
		{"cycle", `{"format_version":"1.0","graph":{"steps":[{"id":"a","depends_on":["a"]}]}}`, ErrGraph, "cycle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFile(path)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want %v containing %q and the path", err, tt.is, tt.msg)
			}
		})
	}
	// A newer minor version is read; unknown fields are ignored.
	path := filepath.Join(dir, "minor.json")
	_ = os.WriteFile(path, []byte(`{"format_version":"1.7","service":"shop","later_field":1}`), 0o644)
	if p, err := ReadFile(path); err != nil || p.Service != "shop" {
		t.Errorf("minor version: %v %+v", err, p)
	}
}

func TestCheckStale(t *testing.T) {
	cfg := testConfig("v2")
	hosts := deployed(testConfig("v1"), digestV1)
	p := build(t, cfg, hosts, Options{})
	ctx := context.Background()
	if err := CheckStale(ctx, p, cfg, hosts); err != nil {
		t.Fatalf("fresh plan is stale: %v", err)
	}
	// Health and timestamps change by themselves: not stale.
	hosts.states["h1"][0].Health = "unhealthy"
	if err := CheckStale(ctx, p, cfg, hosts); err != nil {
		t.Fatalf("health change made the plan stale: %v", err)
	}

	hosts.states["h2"][0].State = "exited"
	extra := testConfig("v3")
	hosts.put("h3", live("new9", Spec(extra, &extra.Roles[1], "h3", digestV2), "running", t0))
	cfg2 := testConfig("v1")
	cfg2.Hash = "sha256:changedchangedchanged"
	err := CheckStale(ctx, p, cfg2, hosts)
	var se *StaleError
	if !errors.As(err, &se) || !errors.Is(err, ErrStale) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"stale", "configuration changed", "host h2 changed: container shop-web-v1 running → exited",
		`variable version was "v2" in the plan and is "v1" now (pass --var version=v2?)`, "host h3 changed: container shop-worker-v3 (running) appeared"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "host h1") {
		t.Errorf("h1 did not change: %v", err)
	}

	hosts.states["h2"] = nil
	err = CheckStale(ctx, p, cfg, hosts)
	if err == nil || !strings.Contains(err.Error(), "container shop-web-v1 was removed") {
		t.Errorf("removed container: %v", err)
	}

	hosts.errs = map[string]error{"h3": errors.New("connection refused")}
	err = CheckStale(ctx, p, cfg, hosts)
	if err == nil || errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "host h3 (10.77.0.13): connection refused") {
		t.Errorf("unreachable host: %v", err)
	}
}

// FuzzDecode: no input makes Decode panic; whatever it accepts has a valid graph.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"format_version":"1.0","graph":{"steps":[{"id":"a"},{"id":"b","depends_on":["a"]}]}}`))
	f.Add([]byte(`{"format_version":"2.0"}`))
	f.Add([]byte(`{"format_version":"1.0","changes":[{"address":{"host":"h1","role":"web"},"action":"create"}]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode("fuzz.json", b)
		if err == nil && p.Graph.Validate() != nil {
			t.Errorf("accepted an invalid graph")
		}
	})
}

func TestVariableMoves(t *testing.T) {
	planned := []lang.Variable{{Name: "a", Value: "1"}, {Name: "s", Sensitive: true, Hash: "sha256:x"}, {Name: "gone", Value: "g"}, {Name: "same", Value: "z"}}
	now := []lang.Variable{{Name: "a", Value: "2"}, {Name: "s", Sensitive: true, Hash: "sha256:y"}, {Name: "same", Value: "z"}}
	got := strings.Join(variableMoves(planned, now), "\n")
	want := "variable a was \"1\" in the plan and is \"2\" now (pass --var a=1?)\nsensitive variable s has another value\nvariable gone is no longer declared"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(got, "sha256:") {
		t.Error("hashes of sensitive variables need not be shown")
	}
}
