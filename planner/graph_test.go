package planner

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// fourHosts: web (primary) on h1..h4, rolling batches of 2, v1 running everywhere.
func fourHostPlan(t *testing.T, batch int, order []string) *Plan {
	t.Helper()
	old := testConfig("v1")
	cfg := testConfig("v2")
	for _, c := range []*lcfg{old, cfg} {
		c.Hosts = append(c.Hosts, c.Hosts[0])
		c.Hosts[3].Name, c.Hosts[3].Address = "h4", "10.77.0.14"
		c.Roles[0].Hosts = order
		c.Roles = c.Roles[:1]
		c.Accessories = nil
		c.Deploy.Batch = batch
	}
	return build(t, cfg, deployed(old, digestV1), Options{})
}

func TestGraphRollingBatches(t *testing.T) {
	p := fourHostPlan(t, 2, []string{"h1", "h2", "h3", "h4"})
	golden(t, "graph_batches", p.Graph.String())
	// The first cutover step of batch 1 waits for the barrier and for the
	// join of batch 1, which waits for the end of every cutover of batch 0
	// (not its prune, which runs beside batch 1).
	s, _ := p.Graph.Step("h3/web/stop_old")
	if s.Batch != 1 || !slices.Equal(s.DependsOn, []string{"h3/web/create", BarrierID, BatchID(1)}) {
		t.Errorf("h3/web/stop_old = %+v", s)
	}
	j, _ := p.Graph.Step(BatchID(1))
	if j.Kind != StepBatch || j.Batch != 1 || j.Address != (Address{}) || !slices.Equal(j.DependsOn, []string{"h1/web/health", "h2/web/health"}) {
		t.Errorf("%s = %+v", BatchID(1), j)
	}
	// pull and create may run ahead of the barrier and of earlier batches.
	for _, id := range []string{"h4/web/pull", "h4/web/create", "h2/web/create"} {
		s, _ := p.Graph.Step(id)
		if slices.Contains(s.DependsOn, BarrierID) || slices.ContainsFunc(s.DependsOn, func(d string) bool { return strings.HasSuffix(d, "/prune") }) {
			t.Errorf("%s waits: %v", id, s.DependsOn)
		}
	}
}

// Rolling batches make a graph that grows linearly: one join per batch
// boundary, which the first cutover step of each change in the next batch
// waits for, instead of an edge from every final step of one batch to every
// cutover of the next. The primary still comes first, and nothing waits on
// a barrier or a join that no earlier step can open.
func TestGraphBatchJoinKeepsTheGraphLinear(t *testing.T) {
	const hosts, batch = 30, 5
	cfg, live := manyHosts(hosts) // web and worker on every host
	p := build(t, cfg, live, Options{})
	edges, joins := 0, 0
	pos := map[string]int{}
	for i, s := range p.Graph.Steps {
		pos[s.ID] = i
		edges += len(s.DependsOn)
		if s.Kind != StepBatch {
			continue
		}
		joins++
		// batch/K waits for the end of the cutover of both roles on every
		// host of batch K-1: the web's check (it publishes ports, so its
		// old container stops first), the worker's stop_old.
		if s.ID != BatchID(s.Batch) || len(s.DependsOn) != 2*batch {
			t.Errorf("%s [batch %d] waits for %d steps: %v", s.ID, s.Batch, len(s.DependsOn), s.DependsOn)
		}
		for _, d := range s.DependsOn {
			ds, _ := p.Graph.Step(d)
			want := StepStopOld
			if ds.Address.Role == "web" {
				want = checkKind(Change{Address: ds.Address})
			}
			if ds.Batch != s.Batch-1 || ds.Kind != want {
				t.Errorf("%s waits for %s [batch %d]", s.ID, d, ds.Batch)
			}
		}
	}
	if joins != hosts/batch-1 {
		t.Errorf("%d joins for %d batches", joins, hosts/batch)
	}
	for _, s := range p.Graph.Steps {
		for _, d := range s.DependsOn {
			if pos[d] >= pos[s.ID] {
				t.Errorf("%s is listed before its dependency %s", s.ID, d)
			}
			if ds, _ := p.Graph.Step(d); ds.Kind == StepBatch && (s.Batch != ds.Batch || s.Kind == StepPull || s.Kind == StepCreate) {
				t.Errorf("%s [batch %d] waits for %s", s.ID, s.Batch, d)
			}
		}
	}
	// Per change: pull, create, start, health, stop_old, prune: 5 edges of
	// its own, the barrier (but the primary's), the join after batch 0;
	// plus the joins' own edges and the barrier's one. The accessory on h1
	// is unchanged.
	changes := 2 * hosts
	if want := changes*5 + (changes - 1) + (changes - 2*batch) + joins*2*batch + 1; edges != want {
		t.Errorf("%d edges, want %d", edges, want)
	}
	if p.Graph.Steps[0].ID != "h1/web/pull" {
		t.Errorf("graph does not start with the primary: %s", p.Graph.Steps[0].ID)
	}
	walkAll(t, p.Graph)
}

// The primary host listed last in the config's host list (but first in the
// role) still lands in batch 0: otherwise batch 0 would wait on a barrier
// that only a later batch can open, and the apply would hang. BuildGraph's
// cycle check would reject such a graph; this test makes sure it is not built.
func TestGraphPrimaryHostAlwaysInFirstBatch(t *testing.T) {
	cfg := testConfig("v2")
	old := testConfig("v1")
	for _, c := range []*lcfg{old, cfg} {
		c.Hosts = []lcfgHost{{Name: "h3", Address: "10.77.0.13"}, {Name: "h2", Address: "10.77.0.12"}, {Name: "h1", Address: "10.77.0.11"}}
		c.Roles[0].Hosts = []string{"h1", "h2"}
		c.Deploy.Batch = 1
	}
	p := build(t, cfg, deployed(old, digestV1), Options{})
	for _, s := range p.Graph.Steps {
		if s.Address.Host == "h1" && s.Batch != 0 {
			t.Errorf("primary host step %s in batch %d", s.ID, s.Batch)
		}
	}
	if p.Graph.Steps[0].ID != "h1/web/pull" {
		t.Errorf("graph does not start with the primary: %s", p.Graph.Steps[0].ID)
	}
	if p.Changes[0].Address.String() != "h1/web" {
		t.Errorf("changes do not start with the primary: %s", summary(p))
	}
	if err := p.Graph.Validate(); err != nil {
		t.Fatal(err)
	}
	walkAll(t, p.Graph)
	golden(t, "graph_primary_last_in_config", p.Graph.String())
}

// walkAll runs the graph the way a walker does (a step runs once all its
// dependencies ran) and fails if some step can never run.
func walkAll(t *testing.T, g Graph) {
	t.Helper()
	done := map[string]bool{}
	for progress := true; progress; {
		progress = false
		for _, s := range g.Steps {
			if done[s.ID] {
				continue
			}
			ready := true
			for _, d := range s.DependsOn {
				ready = ready && done[d]
			}
			if ready {
				done[s.ID], progress = true, true
			}
		}
	}
	for _, s := range g.Steps {
		if !done[s.ID] {
			t.Errorf("step %s can never run", s.ID)
		}
	}
}

func TestGraphPortlessRoleStartsBeforeStoppingOld(t *testing.T) {
	p := build(t, testConfig("v2"), deployed(testConfig("v1"), digestV1), Options{})
	s, _ := p.Graph.Step("h3/worker/stop_old")
	if !slices.Equal(s.DependsOn, []string{"h3/worker/health"}) {
		t.Errorf("worker stop_old = %+v", s)
	}
	s, _ = p.Graph.Step("h1/web/stop_old")
	if !slices.Equal(s.DependsOn, []string{"h1/web/create"}) {
		t.Errorf("primary web stop_old (port 80 published) = %+v", s)
	}
}

func TestGraphAccessoryIgnoresBarrier(t *testing.T) {
	old := testConfig("v1")
	cfg := testConfig("v2")
	cfg.Accessories[0].Image = "10.77.0.1:5000/cache:8"
	d := newDigests()
	d.m["10.77.0.1:5000/cache:8"] = "sha256:8888888888888888888888888888888888888888888888888888888888888888"
	hosts := deployed(old, digestV1)
	pp, err := Build(t.Context(), cfg, Deps{State: hosts, Digests: d}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch := pp.Changes[3]
	if ch.Address.String() != "h3/accessory.cache" || ch.Action != ActionReplace {
		t.Fatalf("accessory change = %+v", ch)
	}
	var ids []string
	for _, s := range pp.Graph.Steps {
		if s.Address.Accessory != "" {
			ids = append(ids, s.ID)
			if slices.Contains(s.DependsOn, BarrierID) {
				t.Errorf("accessory step %s waits for the barrier", s.ID)
			}
		}
	}
	want := []string{"pull", "create", "stop_old", "start", "health", "prune"}
	for i := range want {
		want[i] = "h3/accessory.cache/" + want[i]
	}
	if !slices.Equal(ids, want) {
		t.Errorf("accessory steps = %v", ids)
	}
}

func TestBuildWithoutDigestForMissingImage(t *testing.T) {
	// A plan with an unknown accessory image fails: no partial plan.
	cfg := testConfig("v1")
	cfg.Accessories[0].Image = "10.77.0.1:5000/cache:404"
	_, err := Build(t.Context(), cfg, Deps{State: &fakeHosts{}, Digests: newDigests()}, Options{})
	if err == nil || !strings.Contains(err.Error(), "image 10.77.0.1:5000/cache:404") {
		t.Errorf("err = %v", err)
	}
}

func TestGraphValidate(t *testing.T) {
	cyc := Graph{Steps: []Step{
		{ID: "a", DependsOn: []string{"c"}},
		{ID: "b", DependsOn: []string{"a"}},
		{ID: "c", DependsOn: []string{"b"}},
		{ID: "d"},
	}}
	err := cyc.Validate()
	if !errors.Is(err, ErrGraph) || !strings.Contains(err.Error(), "cycle among a, b, c") {
		t.Errorf("cycle: %v", err)
	}
	missing := Graph{Steps: []Step{{ID: "a", DependsOn: []string{"zz"}}}}
	if err := missing.Validate(); !errors.Is(err, ErrGraph) || !strings.Contains(err.Error(), "zz") {
		t.Errorf("missing dependency: %v", err)
	}
	dup := Graph{Steps: []Step{{ID: "a"}, {ID: "a"}}}
	if err := dup.Validate(); !errors.Is(err, ErrGraph) {
		t.Errorf("duplicate: %v", err)
	}
	// Out-of-order steps are put in topological order, otherwise keeping theirs.
	g := Graph{Steps: []Step{{ID: "b", DependsOn: []string{"a"}}, {ID: "x"}, {ID: "a"}}}
	s, err := g.sorted()
	if err != nil {
		t.Fatal(err)
	}
	if got := (Graph{Steps: s}).String(); got != "x\na\nb <- a\n" {
		t.Errorf("sorted = %q", got)
	}
}

// A role cuts over only once the accessories it depends on are healthy, on
// a first apply and whenever such an accessory is replaced; depends_on
// narrows that down, and an unchanged accessory holds nothing back.
func TestGraphRolesWaitForAccessories(t *testing.T) {
	const health = "h3/accessory.cache/health"
	waits := func(p *Plan, id string) bool {
		t.Helper()
		s, ok := p.Graph.Step(id)
		if !ok {
			t.Fatalf("no step %s in\n%s", id, p.Graph)
		}
		return slices.Contains(s.DependsOn, health)
	}
	// First apply: every role's first cutover step waits, the primary's too.
	p := build(t, testConfig("v1"), &fakeHosts{}, Options{})
	for _, id := range []string{"h1/web/start", "h2/web/start", "h3/worker/start"} {
		if !waits(p, id) {
			t.Errorf("%s does not wait for the cache", id)
		}
	}
	for _, id := range []string{"h1/web/pull", "h1/web/create"} {
		if waits(p, id) {
			t.Errorf("%s waits for the cache; preparing needs no accessory", id)
		}
	}
	// depends_on = [] opts out; depends_on = [accessory.cache] keeps the wait.
	cfg := testConfig("v1")
	cfg.Roles[1].DependsOn = []string{}
	cfg.Roles[0].DependsOn = []string{"cache"}
	p = build(t, cfg, &fakeHosts{}, Options{})
	if !waits(p, "h1/web/start") || waits(p, "h3/worker/start") {
		t.Errorf("depends_on not followed:\n%s", p.Graph)
	}
	// A new version with the cache unchanged: no wait.
	p = build(t, testConfig("v2"), deployed(testConfig("v1"), digestV1), Options{})
	if _, ok := p.Graph.Step(health); ok {
		t.Errorf("an unchanged accessory is in the graph:\n%s", p.Graph)
	}
	// The cache replaced with the roles: web on h1 publishes ports, so its
	// first cutover step is stop_old, and that waits.
	cfg = testConfig("v2")
	cfg.Accessories[0].Env = map[string]string{"MAXMEMORY": "64mb"}
	p = build(t, cfg, deployed(testConfig("v1"), digestV1), Options{})
	if !waits(p, "h1/web/stop_old") || !waits(p, "h3/worker/start") {
		t.Errorf("roles do not wait for the replaced cache:\n%s", p.Graph)
	}
}
