package planner_test

import (
	"fmt"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// A new version of web (primary, port 80) on two hosts and a worker, with
// v1 running: the primary cuts over first, everything else waits for the
// barrier after preparing its container.
func ExampleBuildGraph() {
	cfg := &lang.Config{
		Service: lang.Service{Name: "shop", Image: "registry/shop"},
		Version: lang.Version{Full: "v2"},
		Hosts:   []lang.Host{{Name: "h1"}, {Name: "h2"}},
		Roles: []lang.Role{
			{Name: "web", Primary: true, Hosts: []string{"h1", "h2"}, Ports: []lang.Port{{HostPort: 80, ContainerPort: 8080}}},
			{Name: "worker", Hosts: []string{"h2"}},
		},
	}
	old := &planner.Container{Name: "old", State: "running"}
	change := func(host string, r *lang.Role, primary bool) planner.Change {
		spec := planner.Spec(cfg, r, host, "sha256:2222")
		return planner.Change{Address: planner.Address{Host: host, Role: r.Name}, Action: planner.ActionReplace, Primary: primary, Running: old, Desired: &spec}
	}
	g, err := planner.BuildGraph([]planner.Change{
		change("h1", &cfg.Roles[0], true),
		change("h2", &cfg.Roles[0], false),
		change("h2", &cfg.Roles[1], false),
	}, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Print(g)
	// Output:
	// h1/web/pull
	// h1/web/create <- h1/web/pull
	// h1/web/stop_old <- h1/web/create
	// h1/web/start <- h1/web/stop_old
	// h1/web/health <- h1/web/start
	// h1/web/prune <- h1/web/health
	// barrier <- h1/web/health
	// h2/web/pull
	// h2/web/create <- h2/web/pull
	// h2/web/stop_old <- h2/web/create, barrier
	// h2/web/start <- h2/web/stop_old
	// h2/web/health <- h2/web/start
	// h2/web/prune <- h2/web/health
	// h2/worker/pull
	// h2/worker/create <- h2/worker/pull
	// h2/worker/start <- h2/worker/create, barrier
	// h2/worker/health <- h2/worker/start
	// h2/worker/stop_old <- h2/worker/health
	// h2/worker/prune <- h2/worker/stop_old
}
