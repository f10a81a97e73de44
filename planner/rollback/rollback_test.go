package rollback

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

func cfg() *lang.Config {
	return &lang.Config{
		Service:     lang.Service{Name: "shop", Image: "reg/app"},
		Version:     lang.Version{Full: "v3", Short: "v3"},
		Hosts:       []lang.Host{{Name: "h1"}, {Name: "h2"}},
		Roles:       []lang.Role{{Name: "web", Primary: true, Hosts: []string{"h1", "h2"}}, {Name: "worker", Hosts: []string{"h2"}}},
		Accessories: []lang.Accessory{{Name: "cache", Image: "reg/cache:7", Hosts: []string{"h2"}}},
	}
}

func c(role, version, digest, state string, age int) planner.Container {
	return planner.Container{ID: role + version, Name: "shop-" + role + "-" + version, Role: role, Version: version, State: state,
		Image: "reg/app:" + version + "@" + digest, Created: time.Unix(1e9, 0).Add(-time.Duration(age) * time.Hour)}
}

var states = []planner.HostState{
	{Host: "h1", Containers: []planner.Container{c("web", "v3", "sha256:3", "running", 0), c("web", "v2", "sha256:2", "exited", 1), c("web", "v1", "sha256:1", "exited", 2)}},
	{Host: "h2", Containers: []planner.Container{c("web", "v3", "sha256:3", "running", 0), c("web", "v2", "sha256:2", "exited", 1),
		c("worker", "v3", "sha256:3", "running", 0), c("worker", "v2", "sha256:2", "exited", 1),
		{ID: "cache", Name: "shop-cache", Accessory: "cache", Version: "7", State: "running", Image: "reg/cache:7@sha256:c"}}},
}

func TestCheck(t *testing.T) {
	if err := Check(cfg(), states, "v2"); err != nil {
		t.Errorf("v2 is retained everywhere: %v", err)
	}
	err := Check(cfg(), states, "v1")
	if !errors.Is(err, ErrNotRetained) {
		t.Fatalf("v1: %v, want ErrNotRetained", err)
	}
	want := "version v1 is not retained on h2 (web): retained there: v2, v3\nversion v1 is not retained on h2 (worker): retained there: v2, v3"
	if err.Error() != want {
		t.Errorf("v1:\n%s\nwant\n%s", err, want)
	}
	if err := Check(cfg(), states[:1], "v2"); err == nil || !strings.Contains(err.Error(), "on h2 (web): retained there: nothing") {
		t.Errorf("a host with nothing: %v", err)
	}
}

func TestResolverAnswersFromTheContainers(t *testing.T) {
	r := NewResolver(states)
	ctx := context.Background()
	if d, err := r.Resolve(ctx, "reg/app:v2"); err != nil || d != "sha256:2" {
		t.Errorf("v2 = %q, %v", d, err)
	}
	if _, err := r.Resolve(ctx, "reg/app:v9"); !errors.Is(err, ErrNoDigest) {
		t.Errorf("v9: %v, want ErrNoDigest", err)
	}
	moved := append([]planner.HostState{}, states...)
	moved = append(moved, planner.HostState{Host: "h3", Containers: []planner.Container{c("web", "v2", "sha256:other", "exited", 1)}})
	if _, err := NewResolver(moved).Resolve(ctx, "reg/app:v2"); err == nil || !strings.Contains(err.Error(), "the tag moved") {
		t.Errorf("two digests of v2: %v", err)
	}
}

func TestPlanOfARollbackTouchesOnlyTheRoles(t *testing.T) {
	base := cfg()
	rc := WithVersion(base, "v2")
	if rc.Version.Full != "v2" || rc.Version.Short != "v2" || len(rc.Accessories) != 0 || base.Version.Full != "v3" || len(base.Accessories) != 1 {
		t.Fatalf("WithVersion: %+v (base %+v)", rc.Version, base.Version)
	}
	p, pc, err := Plan(context.Background(), base, states, "v2", planner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pc.Version.Full != "v2" || p.Version != "v2" {
		t.Errorf("plan version %s, config version %s", p.Version, pc.Version.Full)
	}
	if _, _, err := Plan(context.Background(), base, states, "v1", planner.Options{}); !errors.Is(err, ErrNotRetained) {
		t.Errorf("Plan of v1: %v, want ErrNotRetained", err)
	}
	for _, s := range p.Graph.Steps {
		if s.Address.Accessory != "" {
			t.Errorf("step %s touches an accessory", s.ID)
		}
	}
	changes := p.Changes
	var got []string
	for _, ch := range changes {
		got = append(got, ch.Address.String()+" "+string(ch.Action)+" "+ch.Desired.Image)
	}
	want := "h1/web replace reg/app:v2@sha256:2,h2/web replace reg/app:v2@sha256:2,h2/worker replace reg/app:v2@sha256:2"
	if strings.Join(got, ",") != want {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
}

func TestList(t *testing.T) {
	var got []string
	for _, r := range List(states) {
		got = append(got, r.Host+" "+r.Role+r.Accessory+" "+r.Version)
	}
	want := "h1 web v3,h1 web v2,h1 web v1,h2 web v3,h2 web v2,h2 worker v3,h2 worker v2,h2 cache 7"
	if strings.Join(got, ",") != want {
		t.Errorf("List = %s", strings.Join(got, ","))
	}
}
