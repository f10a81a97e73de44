package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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

// fixture is a 1,000-host, 5-role configuration and the live state of
// those hosts after a deploy of v1, for planning v2.
type fixture struct {
	dir    string
	cfg    *lang.Config // version v2
	state  memState
	plan   *planner.Plan // v1 -> v2: 5,000 replaces
	digest memDigests
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func loadFixture() (*fixture, error) {
	fixOnce.Do(func() { fix, fixErr = newFixture() })
	return fix, fixErr
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

func newFixture() (*fixture, error) {
	dir, err := os.MkdirTemp("", "berth-gobench-")
	if err != nil {
		return nil, err
	}
	if err := writeBigConfig(dir, benchHosts, benchRoles); err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, digest: memDigests{}}
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
	if _, r, _, _ := f.plan.Counts(); r != benchHosts*benchRoles {
		return nil, fmt.Errorf("the v2 plan replaces %d containers, want %d", r, benchHosts*benchRoles)
	}
	return f, nil
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

// benchGraphBatches is benchGraph with rolling batches of 100 hosts: the
// first cutover step of every change waits for the final step of every
// change of the previous batch (500 × 500 dependencies per batch).
func benchGraphBatches(b *testing.B) {
	f, err := loadFixture()
	if err != nil {
		b.Fatal(err)
	}
	cfg := *f.cfg
	cfg.Deploy.Batch = 100
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planner.BuildGraph(f.plan.Changes, &cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPlanFile(b *testing.B) {
	f, err := loadFixture()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(f.dir, "plan.json")
	b.ReportAllocs()
	for b.Loop() {
		if err := planner.WriteFile(path, f.plan); err != nil {
			b.Fatal(err)
		}
		if _, err := planner.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

var goBenchmarks = []struct {
	name, what string
	f          func(*testing.B)
}{
	{"Decode", "decode the HCL configuration (lang.Load)", benchDecode},
	{"Build", "plan from in-memory live state: read, diff, graph (planner.Build)", benchBuild},
	{"Graph", "step graph of 5,000 changes (planner.BuildGraph)", benchGraph},
	{"GraphBatches", "the same in rolling batches of 100 hosts", benchGraphBatches},
	{"PlanFile", "plan file write + read (JSON round trip)", benchPlanFile},
}

// runGoBench runs the Go benchmarks with testing.Benchmark, count times each.
func runGoBench(args []string) error {
	fs := flag.NewFlagSet("gobench", flag.ContinueOnError)
	out := fs.String("out", "go.json", "write the results to `FILE`")
	count := fs.Int("count", 5, "runs of each benchmark (the median is reported)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res := &Results{Command: "go run ./test/bench gobench " + shownArgs(args), When: time.Now()}
	for i, gb := range goBenchmarks {
		var ns []float64
		var allocs, bytes int64
		for c := 0; c < *count; c++ {
			r := testing.Benchmark(gb.f)
			if r.N == 0 {
				return fmt.Errorf("benchmark %s failed", gb.name)
			}
			ns = append(ns, float64(r.NsPerOp()))
			allocs, bytes = r.AllocsPerOp(), r.AllocedBytesPerOp()
		}
		res.Rows = append(res.Rows, Row{Order: 400 + i, Scenario: fmt.Sprintf("Go benchmark, %d hosts × %d roles", benchHosts, benchRoles),
			What: "`Benchmark" + gb.name + "`: " + gb.what, Berth: ns, Unit: "ns/op",
			Note: fmt.Sprintf("%.1f MB, %d allocs per op", float64(bytes)/(1<<20), allocs)})
		fmt.Fprintf(os.Stderr, "Benchmark%s: %s/op\n", gb.name, humanNs(median(ns)))
	}
	res.Notes = append(res.Notes, "The Go benchmarks also run with `go test -run '^$' -bench . -benchmem ./test/bench`.")
	if fix != nil {
		_ = os.RemoveAll(fix.dir)
	}
	return res.write(*out)
}
