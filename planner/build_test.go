package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
)

// summary renders changes as "h1/web create [reasons]" lines for compact assertions.
func summary(p *Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "%s %s", c.Address, c.Action)
		if c.Primary {
			b.WriteString(" primary")
		}
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, " [%s %s|%s|%s]", r.Field, r.Op, r.Old, r.New)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestBuildEmptyHosts(t *testing.T) {
	p := build(t, testConfig("v2"), &fakeHosts{}, Options{})
	want := "h1/web create primary\nh2/web create\nh3/worker create\nh3/accessory.cache create\n"
	if got := summary(p); got != want {
		t.Errorf("changes:\n%s\nwant:\n%s", got, want)
	}
	if p.Images["10.77.0.1:5000/shop:v2"] != digestV2 || p.Images["10.77.0.1:5000/cache:7"] != digestCache {
		t.Errorf("images = %v", p.Images)
	}
	if len(p.Hosts) != 3 || p.Hosts[0].Name != "h1" || p.Hosts[0].Fingerprint == "" {
		t.Errorf("hosts = %+v", p.Hosts)
	}
	if c, r, d, u := p.Counts(); c != 4 || r+d+u != 0 {
		t.Errorf("counts = %d %d %d %d", c, r, d, u)
	}
	golden(t, "graph_empty", p.Graph.String())
}

func TestBuildResolvesEachImageOnce(t *testing.T) {
	cfg := testConfig("v2")
	cfg.Accessories = append(cfg.Accessories, cfg.Accessories[0])
	cfg.Accessories[1].Name = "cache2"
	d := newDigests()
	if _, err := Build(context.Background(), cfg, Deps{State: &fakeHosts{}, Digests: d}, Options{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"10.77.0.1:5000/shop:v2": 1, "10.77.0.1:5000/cache:7": 1}
	if fmt.Sprint(d.calls) != fmt.Sprint(want) {
		t.Errorf("resolve calls = %v, want %v", d.calls, want)
	}
}

func TestBuildV1RunningToV2(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	p := build(t, testConfig("v2"), hosts, Options{})
	want := "h1/web replace primary [version |v1|v2]\nh2/web replace [version |v1|v2]\nh3/worker replace [version |v1|v2]\nh3/accessory.cache unchanged\n"
	if got := summary(p); got != want {
		t.Errorf("changes:\n%s\nwant:\n%s", got, want)
	}
	if p.Changes[0].Running == nil || p.Changes[0].Running.Version != "v1" {
		t.Errorf("running = %+v", p.Changes[0].Running)
	}
	golden(t, "graph_v1_to_v2", p.Graph.String())
}

func TestBuildSameConfigUnchanged(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	p := build(t, testConfig("v1"), hosts, Options{})
	if p.HasChanges() {
		t.Errorf("want no changes:\n%s", summary(p))
	}
	if got := p.Graph.String(); got != "barrier\n" {
		t.Errorf("graph of a plan without changes = %q", got)
	}
}

func TestBuildConfigOnlyChanges(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(cfg *lcfg)
		want   string // reasons of h1/web
	}{
		{"env value", func(c *lcfg) { c.Roles[0].Env["LOG_LEVEL"] = "debug" }, "[env.LOG_LEVEL |info|debug]"},
		{"env added", func(c *lcfg) { c.Roles[0].Env["NEW"] = "1" }, "[env.NEW added||1]"},
		{"env removed", func(c *lcfg) { delete(c.Roles[0].Env, "LOG_LEVEL") }, "[env.LOG_LEVEL removed|info|]"},
		{"cmd", func(c *lcfg) { c.Roles[0].Cmd = []string{"/app", "serve", "-v"} }, `[cmd |["/app", "serve"]|["/app", "serve", "-v"]]`},
		{"secret", func(c *lcfg) { c.Roles[0].SecretEnv["DB_PASSWORD"] = newSecret("other-secret") }, "[secret_env.DB_PASSWORD |(sensitive)|(sensitive)]"},
		{"ports", func(c *lcfg) { c.Roles[0].Ports[0].HostPort = 81 }, "[ports |80:8080|81:8080]"},
		{"volumes", func(c *lcfg) { c.Roles[0].Volumes = []string{"data:/data"} }, "[volumes |(none)|data:/data]"},
		{"healthcheck", func(c *lcfg) { c.Roles[0].Healthcheck.Retries = 5 },
			`[healthcheck |cmd ["/app", "check"] every 1s, 3 retries, deadline 30s|cmd ["/app", "check"] every 1s, 5 retries, deadline 30s]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts := deployed(testConfig("v1"), digestV1)
			cfg := testConfig("v1")
			tt.mutate(cfg)
			p := build(t, cfg, hosts, Options{})
			got := summary(p)
			want := "h1/web replace primary " + tt.want + "\nh2/web replace " + tt.want + "\nh3/worker unchanged\nh3/accessory.cache unchanged\n"
			if got != want {
				t.Errorf("changes:\n%s\nwant:\n%s", got, want)
			}
			b, _ := json.Marshal(p)
			if strings.Contains(string(b), secretValue) || strings.Contains(string(b), "other-secret") {
				t.Errorf("plan JSON contains a secret value")
			}
		})
	}
}

func TestBuildImageDigestMoved(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	d := newDigests()
	d.m["10.77.0.1:5000/shop:v1"] = digestV2 // the tag moved
	p, err := Build(context.Background(), testConfig("v1"), Deps{State: hosts, Digests: d}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Changes[0].Reasons; len(got) != 1 || got[0].Field != "image" || !strings.HasPrefix(got[0].Old, "sha256:111111") || !strings.HasPrefix(got[0].New, "sha256:222222") {
		t.Errorf("reasons = %+v", got)
	}
	if img := p.Changes[0].Desired.Image; img != "10.77.0.1:5000/shop:v1@"+digestV2 {
		t.Errorf("desired image = %s", img)
	}
}

func TestBuildWithoutSpecLabel(t *testing.T) {
	old := testConfig("v1")
	hosts := deployed(old, digestV1)
	for h, cs := range hosts.states {
		for i := range cs {
			delete(cs[i].Labels, LabelSpec)
			cs[i].ConfigHash = "sha256:0000000000000000000000000000"
		}
		hosts.states[h] = cs
	}
	p := build(t, testConfig("v1"), hosts, Options{})
	if r := p.Changes[0].Reasons; len(r) != 1 || r[0].Field != "config" {
		t.Errorf("reasons without a spec label = %+v", r)
	}
}

func TestBuildStoppedContainer(t *testing.T) {
	cfg := testConfig("v1")
	hosts := deployed(cfg, digestV1)
	hosts.states["h3"][0].State = "exited"
	p := build(t, cfg, hosts, Options{})
	ch := p.Changes[2]
	if ch.Address.String() != "h3/worker" || ch.Action != ActionReplace || ch.Running != nil || len(ch.Others) != 1 {
		t.Fatalf("change = %+v", ch)
	}
	if r := ch.Reasons; len(r) != 1 || r[0] != (Reason{Field: "state", Old: "exited", New: "running"}) {
		t.Errorf("reasons = %+v", r)
	}
}

func TestBuildRunningAndOthers(t *testing.T) {
	cfg := testConfig("v2")
	hosts := deployed(testConfig("v2"), digestV2)
	oldSpec := Spec(testConfig("v1"), &testConfig("v1").Roles[0], "h1", digestV1)
	older := testConfig("v0")
	hosts.put("h1", live("old1", oldSpec, "exited", t0.Add(-time.Hour)))
	hosts.put("h1", live("old0", Spec(older, &older.Roles[0], "h1", digestV1), "exited", t0.Add(-2*time.Hour)))
	p := build(t, cfg, hosts, Options{})
	ch := p.Changes[0]
	if ch.Action != ActionUnchanged || ch.Running == nil || ch.Running.Version != "v2" {
		t.Fatalf("change = %+v", ch)
	}
	if len(ch.Others) != 2 || ch.Others[0].ID != "old1" || ch.Others[1].ID != "old0" {
		t.Errorf("others not newest first: %+v", ch.Others)
	}
}

func TestBuildRoleRemoved(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	cfg := testConfig("v1")
	cfg.Roles = cfg.Roles[:1]
	p := build(t, cfg, hosts, Options{})
	want := "h1/web unchanged primary\nh2/web unchanged\nh3/accessory.cache unchanged\nh3/worker remove [role |worker|(no longer in the configuration)]\n"
	if got := summary(p); got != want {
		t.Errorf("changes:\n%s\nwant:\n%s", got, want)
	}
	golden(t, "graph_role_removed", p.Graph.String())
}

func TestBuildHostLeftRole(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	cfg := testConfig("v1")
	cfg.Roles[0].Hosts = []string{"h1"}
	p := build(t, cfg, hosts, Options{})
	if got := summary(p); !strings.Contains(got, "h2/web remove [hosts |h2|(host no longer in role web)]") {
		t.Errorf("changes:\n%s", got)
	}
}

func TestBuildIgnoresForeignContainers(t *testing.T) {
	hosts := &fakeHosts{}
	hosts.put("h1", Container{ID: "x", Name: "postgres", Role: "web", State: "running", Labels: map[string]string{LabelService: "other", LabelRole: "web"}})
	hosts.put("h1", Container{ID: "y", Name: "shop-stray", State: "running", Labels: map[string]string{LabelService: "shop"}})
	p := build(t, testConfig("v1"), hosts, Options{})
	if p.Changes[0].Action != ActionCreate || p.Changes[0].Running != nil {
		t.Errorf("foreign container read into the plan: %+v", p.Changes[0])
	}
	for _, c := range p.Changes {
		if c.Action == ActionRemove {
			t.Errorf("plan touches a container berth did not start: %+v", c)
		}
	}
	for _, c := range p.Hosts[0].Containers {
		if c.ID == "x" {
			t.Errorf("another service's container is in the snapshot")
		}
	}
}

func TestBuildHostUnreachable(t *testing.T) {
	hosts := &fakeHosts{errs: map[string]error{
		"h2": errors.New("dial tcp 10.77.0.12:22: connect: no route to host"),
		"h3": errors.New("ssh: handshake failed"),
	}}
	p, err := Build(context.Background(), testConfig("v1"), Deps{State: hosts, Digests: newDigests()}, Options{})
	if p != nil {
		t.Errorf("a partial plan was returned")
	}
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"host h2 (10.77.0.12): dial tcp", "host h3 (10.77.0.13): ssh: handshake failed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestBuildImageUnresolvable(t *testing.T) {
	_, err := Build(context.Background(), testConfig("v9"), Deps{State: &fakeHosts{}, Digests: newDigests()}, Options{})
	if err == nil || !strings.Contains(err.Error(), "image 10.77.0.1:5000/shop:v9: manifest unknown") {
		t.Errorf("err = %v", err)
	}
}

func TestBuildTargets(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	p := build(t, testConfig("v2"), hosts, Options{Targets: []string{"h2"}})
	if got := summary(p); got != "h2/web replace [version |v1|v2]\n" {
		t.Errorf("changes:\n%s", got)
	}
	if !slices.Equal(hosts.reads, []string{"h2"}) {
		t.Errorf("read hosts %v, want only h2", hosts.reads)
	}
	if s, _ := p.Graph.Step(BarrierID); len(s.DependsOn) != 0 {
		t.Errorf("barrier without the primary change should open at once: %+v", s)
	}
	if !slices.Equal(p.Targets, []string{"h2"}) {
		t.Errorf("targets not recorded: %v", p.Targets)
	}

	hosts.reads = nil
	p = build(t, testConfig("v2"), hosts, Options{Targets: []string{"worker"}, Excludes: []string{"h1"}})
	if got := summary(p); got != "h3/worker replace [version |v1|v2]\n" {
		t.Errorf("changes:\n%s", got)
	}
	if slices.Contains(hosts.reads, "h1") {
		t.Errorf("excluded host read")
	}

	p = build(t, testConfig("v2"), deployed(testConfig("v1"), digestV1), Options{Excludes: []string{"accessory.cache", "web"}})
	if got := summary(p); got != "h3/worker replace [version |v1|v2]\n" {
		t.Errorf("changes:\n%s", got)
	}
}

func TestBuildDestroy(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	p := build(t, testConfig("v1"), hosts, Options{Destroy: true})
	want := "h1/web remove [destroy ||every container of the service is removed]\nh2/web remove [destroy ||every container of the service is removed]\nh3/worker remove [destroy ||every container of the service is removed]\n"
	if got := summary(p); got != want {
		t.Errorf("changes:\n%s", got)
	}
	p = build(t, testConfig("v1"), hosts, Options{Destroy: true, IncludeAccessories: true})
	if c, _, d, _ := p.Counts(); d != 4 || c != 0 {
		t.Errorf("destroy with accessories: %s", summary(p))
	}
}

func TestBuildVariablesKeepNoSecret(t *testing.T) {
	p := build(t, testConfig("v1"), &fakeHosts{}, Options{})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), secretValue) {
		t.Errorf("plan contains a secret value: %s", b)
	}
	for _, v := range p.Variables {
		if v.Name == "db_password" && (v.Hash == "" || v.Value != "") {
			t.Errorf("sensitive variable recorded as %+v", v)
		}
	}
}

func TestHostErrorNamesHostOnce(t *testing.T) {
	base := errors.New("connection refused")
	hosts := &fakeHosts{errs: map[string]error{
		"h2": fmt.Errorf("host h2: docker list: %w", base),
		"h3": fmt.Errorf("host h3 (10.77.0.13:22): unreachable: %w", base),
	}}
	_, err := Build(context.Background(), testConfig("v1"), Deps{State: hosts, Digests: newDigests()}, Options{})
	if err == nil || err.Error() != "host h2 (10.77.0.12): docker list: connection refused\nhost h3 (10.77.0.13:22): unreachable: connection refused" {
		t.Errorf("err = %v", err)
	}
	var he *HostError
	if !errors.As(err, &he) || he.Host != "h2" || !errors.Is(err, base) {
		t.Errorf("err does not unwrap to a *HostError and its cause: %#v", err)
	}
}

func TestBuildUnknownTarget(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	_, err := Build(context.Background(), testConfig("v2"), Deps{State: hosts, Digests: newDigests()}, Options{Targets: []string{"wbe"}, Excludes: []string{"h7"}})
	if !errors.Is(err, ErrUnknownTarget) || !strings.Contains(err.Error(), "--target wbe: names no host, role or accessory") || !strings.Contains(err.Error(), "--exclude h7") {
		t.Errorf("err = %v", err)
	}
	// A role removed from the configuration can be targeted for its removal.
	cfg := testConfig("v1")
	cfg.Roles = cfg.Roles[:1]
	p := build(t, cfg, hosts, Options{Targets: []string{"worker"}})
	if got := summary(p); got != "h3/worker remove [role |worker|(no longer in the configuration)]\n" {
		t.Errorf("changes:\n%s", got)
	}
	for _, ok := range []string{"h1/web", "accessory.cache", "h3/accessory.cache", "cache"} {
		if _, err := Build(context.Background(), testConfig("v1"), Deps{State: hosts, Digests: newDigests()}, Options{Targets: []string{ok}}); err != nil {
			t.Errorf("target %s: %v", ok, err)
		}
	}
}

func TestVarArgs(t *testing.T) {
	p := build(t, testConfig("v1"), &fakeHosts{}, Options{})
	if got := p.VarArgs(); !slices.Equal(got, []string{"version=v1"}) {
		t.Errorf("VarArgs = %v", got)
	}
}

func TestSecondRunningContainerIsStopped(t *testing.T) {
	hosts := deployed(testConfig("v2"), digestV2)
	v1 := testConfig("v1")
	hosts.put("h2", live("stray", Spec(v1, &v1.Roles[0], "h2", digestV1), "running", t0.Add(-time.Hour)))
	p := build(t, testConfig("v2"), hosts, Options{})
	if !p.HasChanges() {
		t.Fatalf("two running containers of h2/web and no change: %s", summary(p))
	}
	if got := summary(p); !strings.Contains(got, "h2/web replace [running stop|shop-web-v1|a second container of h2/web runs]") {
		t.Errorf("changes:\n%s", got)
	}
	c := changeOf(t, p, "h2/web")
	if c.Keep == nil || c.Keep.Name != "shop-web-v2" || c.Running == nil || c.Running.Name != "shop-web-v1" {
		t.Errorf("keep %+v, running %+v", c.Keep, c.Running)
	}
	if strings.Contains(fmt.Sprint(p.Warnings()), "more than one container runs") {
		t.Errorf("still only a warning: %q", p.Warnings())
	}
}

func TestSecondRunningContainerOfOtherVersionsAreAllStopped(t *testing.T) {
	v1, v3 := testConfig("v1"), testConfig("v3")
	hosts := deployed(v1, digestV1)
	hosts.put("h3", live("hand", Spec(v3, &v3.Roles[1], "h3", digestV1), "running", t0.Add(time.Hour)))
	p := build(t, testConfig("v2"), hosts, Options{})
	c := changeOf(t, p, "h3/worker")
	if c.Action != ActionReplace || c.Keep != nil || c.Running == nil || len(c.Extra) != 1 {
		t.Fatalf("change = %+v", c)
	}
	names := []string{c.Running.Name, c.Extra[0].Name}
	slices.Sort(names)
	if !slices.Equal(names, []string{"shop-worker-v1", "shop-worker-v3"}) {
		t.Errorf("stopped = %v", names)
	}
	found := false
	for _, r := range c.Reasons {
		found = found || (r.Op == OpStop && r.Old == c.Extra[0].Name)
	}
	if !found {
		t.Errorf("no reason names %s: %+v", c.Extra[0].Name, c.Reasons)
	}
}

func TestStopTimeoutShapesNoContainer(t *testing.T) {
	hosts := deployed(testConfig("v1"), digestV1)
	cfg := testConfig("v1")
	cfg.Deploy.StopTimeout = time.Minute
	cfg.Roles[1].Stop = lang.Stop{Signal: "SIGINT", Timeout: 3 * time.Second}
	p := build(t, cfg, hosts, Options{})
	if p.HasChanges() {
		t.Fatalf("a changed stop signal or timeout replaced containers:\n%s", summary(p))
	}
	if c := changeOf(t, p, "h3/worker"); c.Stop != (StopSpec{Signal: "SIGINT", Timeout: 3 * time.Second}) {
		t.Errorf("stop = %+v", c.Stop)
	}
}

func TestContainerOfFirstReleaseWithStopTimeoutIsUnchanged(t *testing.T) {
	cfg := testConfig("v1")
	spec := Spec(cfg, &cfg.Roles[1], "h3", digestV1)
	sum, _ := ParseSpecSummary(spec.Labels[LabelSpec])
	sum.StopTimeout = 10 * time.Second // what berth 0.1 wrote
	spec.Labels[LabelSpec], spec.ConfigHash = sum.JSON(), sum.Hash()
	spec.Labels[LabelConfig] = spec.ConfigHash
	hosts := deployed(cfg, digestV1)
	hosts.states["h3"] = nil
	hosts.put("h3", live("old", spec, "running", t0))
	p := build(t, cfg, hosts, Options{Targets: []string{"h3/worker"}})
	if c := changeOf(t, p, "h3/worker"); c.Action != ActionUnchanged {
		t.Errorf("h3/worker %s: %+v", c.Action, c.Reasons)
	}
}

func changeOf(t *testing.T, p *Plan, addr string) Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Address.String() == addr {
			return c
		}
	}
	t.Fatalf("no change for %s:\n%s", addr, summary(p))
	return Change{}
}
