package main

import "testing"

// go test -run '^$' -bench . -benchmem ./test/bench

func BenchmarkDecode(b *testing.B)          { benchDecode(b) }
func BenchmarkBuild(b *testing.B)           { benchBuild(b) }
func BenchmarkGraph(b *testing.B)           { benchGraph(b) }
func BenchmarkGraphBatches(b *testing.B)    { benchGraphBatches(benchHosts)(b) }
func BenchmarkPlanFile(b *testing.B)        { benchPlanFile(b) }
func BenchmarkPlanFileBatches(b *testing.B) { benchPlanFileBatches(benchHosts)(b) }

// The same at 10,000 hosts: edges and plan-file bytes per host should be
// those of 1,000 hosts (the graph and the file grow linearly with the fleet).
// -bench 'Batches$' leaves them out.
func BenchmarkGraphBatches10k(b *testing.B)    { benchGraphBatches(bigFleet)(b) }
func BenchmarkPlanFileBatches10k(b *testing.B) { benchPlanFileBatches(bigFleet)(b) }

// The fixture must describe what the benchmarks claim: 1,000 hosts, 5
// roles each, a plan that replaces all 5,000 containers.
func TestFixture(t *testing.T) {
	f, err := loadFixture()
	if err != nil {
		t.Fatal(err)
	}
	if len(f.cfg.Hosts) != benchHosts || len(f.cfg.Roles) != benchRoles {
		t.Errorf("fixture has %d hosts and %d roles", len(f.cfg.Hosts), len(f.cfg.Roles))
	}
	if _, r, _, _ := f.plan.Counts(); r != benchHosts*benchRoles {
		t.Errorf("plan replaces %d", r)
	}
}
