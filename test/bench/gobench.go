package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// The Go benchmarks' fleet: every role on every host.
const (
	benchHosts = 1000
	benchRoles = 5
)

// fixture is a configuration of hosts hosts with 5 roles each and the
// live state of those hosts after a deploy of v1, for planning v2.
type fixture struct {
	hosts   int
	dir     string
	cfg     *lang.Config // version v2
	state   memState
	plan    *planner.Plan // v1 -> v2: 5 replaces per host
	batched *planner.Plan // the same in rolling batches of benchBatch hosts (batchedPlan)
	digest  memDigests
}

// benchBatch is the rolling batch of the batched plans.
const benchBatch = 100

var (
	fixMu    sync.Mutex
	fixtures = map[int]*fixture{}
)

// loadFixture is the 1,000-host fixture.
func loadFixture() (*fixture, error) { return fleetFixture(benchHosts) }

// fleetFixture builds the fixture of a fleet once and keeps it.
func fleetFixture(hosts int) (*fixture, error) {
	fixMu.Lock()
	defer fixMu.Unlock()
	if f, ok := fixtures[hosts]; ok {
		return f, nil
	}
	f, err := newFixture(hosts)
	if err != nil {
		return nil, err
	}
	fixtures[hosts] = f
	return f, nil
}

// removeFixtures deletes the fixtures' directories.
func removeFixtures() {
	fixMu.Lock()
	defer fixMu.Unlock()
	for n, f := range fixtures {
		_ = os.RemoveAll(f.dir)
		delete(fixtures, n)
	}
}

// writeBigConfig writes dir/berth.hcl with hosts hosts and roles roles,
// each role on every host.
func writeBigConfig(dir string, hosts, roles int) error {
	var b strings.Builder
	b.WriteString("service \"big\" {\n  image = \"10.77.0.1:5000/app\"\n}\n\n")
	b.WriteString("variable \"version\" {\n  type    = string\n  default = \"v1\"\n}\n\n")
	b.WriteString("ssh {\n  known_hosts = \"/dev/null\"\n}\n\n")
	refs := make([]string, hosts)
	for i := 1; i <= hosts; i++ {
		fmt.Fprintf(&b, "host \"h%d\" { address = \"10.%d.%d.%d\" }\n", i, i/65536%256, i/256%256, i%256)
		refs[i-1] = fmt.Sprintf("host.h%d", i)
	}
	list := "[" + strings.Join(refs, ", ") + "]"
	for r := 0; r < roles; r++ {
		fmt.Fprintf(&b, "\nrole \"r%d\" {\n  primary = %v\n  hosts   = %s\n  cmd     = [\"/app\", \"serve\"]\n  env     = { ROLE = \"r%d\", LOG_LEVEL = \"info\" }\n", r, r == 0, list, r)
		if r == 0 {
			b.WriteString("  ports   = [\"80:8080\"]\n  healthcheck {\n    cmd = [\"/app\", \"check\"]\n  }\n")
		}
		b.WriteString("}\n")
	}
	b.WriteString("\ndeploy {\n  version = var.version\n}\n")
	return os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(b.String()), 0o644)
}

func newFixture(hosts int) (*fixture, error) {
	dir, err := os.MkdirTemp("", "berth-gobench-")
	if err != nil {
		return nil, err
	}
	if err := writeBigConfig(dir, hosts, benchRoles); err != nil {
		return nil, err
	}
	f := &fixture{hosts: hosts, dir: dir, digest: memDigests{}}
	v1, err := load(dir, "v1")
	if err != nil {
		return nil, err
	}
	if f.cfg, err = load(dir, "v2"); err != nil {
		return nil, err
	}
	ctx := context.Background()
	empty := memState{}
	first, err := planner.Build(ctx, v1, planner.Deps{State: empty, Digests: f.digest}, planner.Options{})
	if err != nil {
		return nil, err
	}
	// The hosts after v1 was deployed: one running container per change.
	f.state = memState{}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range first.Changes {
		d := c.Desired
		f.state[c.Address.Host] = append(f.state[c.Address.Host], planner.Container{
			ID: fmt.Sprintf("%064d", i), Name: d.Name, Role: c.Address.Role, Version: "v1", ConfigHash: d.ConfigHash,
			Image: d.Image, ImageID: "sha256:" + strings.Repeat("1", 64), State: "running", Created: created, Labels: d.Labels,
		})
	}
	if f.plan, err = planner.Build(ctx, f.cfg, planner.Deps{State: f.state, Digests: f.digest}, planner.Options{}); err != nil {
		return nil, err
	}
	if _, r, _, _ := f.plan.Counts(); r != hosts*benchRoles {
		return nil, fmt.Errorf("the v2 plan replaces %d containers, want %d", r, hosts*benchRoles)
	}
	return f, nil
}

// batchedPlan is the v2 plan in rolling batches of benchBatch hosts, made
// on first use.
func (f *fixture) batchedPlan() (*planner.Plan, error) {
	fixMu.Lock()
	defer fixMu.Unlock()
	if f.batched != nil {
		return f.batched, nil
	}
	p, err := planner.Build(context.Background(), f.batchedConfig(), planner.Deps{State: f.state, Digests: f.digest}, planner.Options{})
	f.batched = p
	return p, err
}

// batchedConfig is the v2 configuration in rolling batches of benchBatch hosts.
func (f *fixture) batchedConfig() *lang.Config {
	cfg := *f.cfg
	cfg.Deploy.Batch = benchBatch
	return &cfg
}

func load(dir, version string) (*lang.Config, error) {
	res := lang.Load(context.Background(), lang.Options{Dir: dir, Vars: []string{"version=" + version}})
	if res.Diags.HasErrors() {
		return nil, res.Diags
	}
	return res.Config, nil
}

// memState is a planner.StateReader over a map.
type memState map[string][]planner.Container

func (m memState) ReadState(_ context.Context, host, _ string) (planner.HostState, error) {
	return planner.HostState{Host: host, Containers: m[host]}, nil
}

// memDigests resolves every tag to a digest made from it.
type memDigests map[string]string

func (memDigests) Resolve(_ context.Context, ref string) (string, error) {
	return "sha256:" + hash64(ref), nil
}

func hash64(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return strings.Repeat(fmt.Sprintf("%016x", h), 4)
}

// The benchmarks, shared by `go test -bench` (bench_test.go) and `bench gobench`.

func benchDecode(b *testing.B) {
	f, err := loadFixture()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(f.dir, "v2"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchBuild(b *testing.B) {
	f, err := loadFixture()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planner.Build(context.Background(), f.cfg, planner.Deps{State: f.state, Digests: f.digest}, planner.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGraph(b *testing.B) {
	f, err := loadFixture()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planner.BuildGraph(f.plan.Changes, f.cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// benchGraphBatches is benchGraph with rolling batches of 100 hosts, for
// a fleet of hosts hosts. It reports the graph's edges (dependencies) per host.
func benchGraphBatches(hosts int) func(*testing.B) {
	return func(b *testing.B) {
		f, err := fleetFixture(hosts)
		if err != nil {
			b.Fatal(err)
		}
		cfg := f.batchedConfig()
		b.ReportAllocs()
		var g planner.Graph
		for b.Loop() {
			if g, err = planner.BuildGraph(f.plan.Changes, cfg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(edges(g))/float64(hosts), "edges/host")
	}
}

// edges counts the dependencies of a graph.
func edges(g planner.Graph) int {
	n := 0
	for _, s := range g.Steps {
		n += len(s.DependsOn)
	}
	return n
}

func benchPlanFile(b *testing.B) {
	f, err := loadFixture()
	if err != nil {
		b.Fatal(err)
	}
	roundTrip(b, f.dir, f.plan, f.hosts)
}

// benchPlanFileBatches is benchPlanFile for the plan in rolling batches of
// 100 hosts, for a fleet of hosts hosts.
func benchPlanFileBatches(hosts int) func(*testing.B) {
	return func(b *testing.B) {
		f, err := fleetFixture(hosts)
		if err != nil {
			b.Fatal(err)
		}
		p, err := f.batchedPlan()
		if err != nil {
			b.Fatal(err)
		}
		roundTrip(b, f.dir, p, hosts)
	}
}

// roundTrip writes and reads plan p and reports the file's size per host.
func roundTrip(b *testing.B, dir string, p *planner.Plan, hosts int) {
	path := filepath.Join(dir, "plan.json")
	b.ReportAllocs()
	for b.Loop() {
		if err := planner.WriteFile(path, p); err != nil {
			b.Fatal(err)
		}
		if _, err := planner.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/float64(hosts), "file-B/host")
}

// bigFleet is the fleet of the benchmarks that show the growth per host.
const bigFleet = 10000

var goBenchmarks = []struct {
	name, what string
	f          func(*testing.B)
	hosts      int  // the fleet; 0: benchHosts
	once       bool // run once, not count times (the big fleet)
}{
	{"Decode", "decode the HCL configuration (lang.Load)", benchDecode, 0, false},
	{"Build", "plan from in-memory live state: read, diff, graph (planner.Build)", benchBuild, 0, false},
	{"Graph", "step graph of 5,000 changes (planner.BuildGraph)", benchGraph, 0, false},
	{"GraphBatches", "the same in rolling batches of 100 hosts", benchGraphBatches(benchHosts), 0, false},
	{"PlanFile", "plan file write + read (JSON round trip)", benchPlanFile, 0, false},
	{"PlanFileBatches", "the same for the plan in rolling batches of 100 hosts", benchPlanFileBatches(benchHosts), 0, false},
	{"GraphBatches10k", "step graph of 50,000 changes in rolling batches of 100 hosts", benchGraphBatches(bigFleet), bigFleet, true},
	{"PlanFileBatches10k", "plan file write + read of that plan", benchPlanFileBatches(bigFleet), bigFleet, true},
}

// runGoBench runs the Go benchmarks with testing.Benchmark, count times each.
func runGoBench(args []string) error {
	fs := flag.NewFlagSet("gobench", flag.ContinueOnError)
	out := fs.String("out", "go.json", "write the results to `FILE`")
	count := fs.Int("count", 5, "runs of each benchmark (the median is reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	defer removeFixtures()
	res := &Results{Command: "go run ./test/bench gobench " + shownArgs(args), When: time.Now()}
	for i, gb := range goBenchmarks {
		var ns []float64
		var r testing.BenchmarkResult
		runs := *count
		if gb.once {
			runs = 1
		}
		for c := 0; c < runs; c++ {
			r = testing.Benchmark(gb.f)
			if r.N == 0 {
				return fmt.Errorf("benchmark %s failed", gb.name)
			}
			ns = append(ns, float64(r.NsPerOp()))
		}
		hosts := cmp.Or(gb.hosts, benchHosts)
		note := fmt.Sprintf("%.1f MB, %d allocs per op", float64(r.AllocedBytesPerOp())/(1<<20), r.AllocsPerOp())
		for _, unit := range slices.Sorted(maps.Keys(r.Extra)) {
			note += fmt.Sprintf("; %.0f %s", r.Extra[unit], unit)
		}
		res.Rows = append(res.Rows, Row{Order: 400 + i, Scenario: fmt.Sprintf("Go benchmark, %d hosts × %d roles", hosts, benchRoles),
			What: "`Benchmark" + gb.name + "`: " + gb.what, Berth: ns, Unit: "ns/op", Note: note})
		fmt.Fprintf(os.Stderr, "Benchmark%s: %s/op\n", gb.name, humanNs(median(ns)))
	}
	res.Notes = append(res.Notes, "The Go benchmarks also run with `go test -run '^$' -bench . -benchmem ./test/bench`.")
	return res.write(*out)
}
