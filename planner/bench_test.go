package planner

import (
	"context"
	"fmt"
	"testing"
)

// manyHosts: web on n hosts (batches of 5), worker on every host, v1 running.
func manyHosts(n int) (*lcfg, *fakeHosts) {
	old, cfg := testConfig("v1"), testConfig("v2")
	for _, c := range []*lcfg{old, cfg} {
		c.Hosts = nil
		var names []string
		for i := 1; i <= n; i++ {
			name := fmt.Sprintf("h%d", i)
			c.Hosts = append(c.Hosts, lcfgHost{Name: name, Address: fmt.Sprintf("10.77.0.%d", 10+i)})
			names = append(names, name)
		}
		c.Roles[0].Hosts = names
		c.Roles[1].Hosts = names
		c.Accessories[0].Hosts = names[:1]
		c.Deploy.Batch = 5
	}
	return cfg, deployed(old, digestV1)
}

func TestBuildManyHosts(t *testing.T) {
	cfg, hosts := manyHosts(30)
	p := build(t, cfg, hosts, Options{ReadParallelism: 4})
	if _, r, _, u := p.Counts(); r != 60 || u != 1 {
		t.Errorf("counts: %d replace, %d unchanged", r, u)
	}
	walkAll(t, p.Graph)
	last, _ := p.Graph.Step("h30/worker/prune")
	if last.Batch != 5 {
		t.Errorf("h30 in batch %d, want 5", last.Batch)
	}
}

func BenchmarkBuild30Hosts(b *testing.B) {
	cfg, hosts := manyHosts(30)
	d := newDigests()
	for b.Loop() {
		if _, err := Build(context.Background(), cfg, Deps{State: hosts, Digests: d}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
