package planner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
)

// The spec label of a container that uses none of the container options is
// byte for byte what berth wrote before they existed, but for the service's
// network (see TestFirstReleaseContainersJoinTheNetwork).
func TestSpecJSONStableWithoutOptions(t *testing.T) {
	cfg := testConfig("v1")
	cfg.Proxy.HTTPPort = 80 // lang's default
	want := map[string]string{
		"web":    `{"digest":"` + digestV1 + `","cmd":["/app","serve"],"env":{"LOG_LEVEL":"info"},"secret_env":{"DB_PASSWORD":"sha256:e5c0c9182a60cf76a677c7df0c7b75d082e74765fc27e78af97260ea0c982adc"},"ports":["80:8080"],"health":{"kind":"cmd","cmd":["/app","check"],"interval":1000000000,"retries":3,"deadline":30000000000},"network":"berth-shop"}`,
		"worker": `{"digest":"` + digestV1 + `","cmd":["/app","work"],"health":{"kind":"auto","interval":1000000000,"deadline":3000000000},"network":"berth-shop"}`,
		"cache":  `{"digest":"` + digestCache + `","ports":["6379:6379"],"health":{"kind":"auto","interval":1000000000,"deadline":3000000000},"network":"berth-shop","aliases":["cache","shop-cache"]}`,
		"proxy":  `{"digest":"` + digestCache + `","ports":["80:80"],"volumes":["berth-proxy-config:/home/kamal-proxy/.config/kamal-proxy"],"health":{"kind":"cmd","cmd":["kamal-proxy","list"],"interval":10000000000,"retries":3,"deadline":30000000000},"network":"berth"}`,
	}
	got := map[string]string{
		"web":    Spec(cfg, &cfg.Roles[0], "h1", digestV1).Labels[LabelSpec],
		"worker": Spec(cfg, &cfg.Roles[1], "h3", digestV1).Labels[LabelSpec],
		"cache":  AccessorySpec(cfg, &cfg.Accessories[0], "h3", digestCache).Labels[LabelSpec],
		"proxy":  ProxySpec(cfg, "h1", digestCache, false).Labels[LabelSpec],
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s spec label changed:\n got %s\nwant %s", k, got[k], want[k])
		}
	}
	// The defaults written out change nothing either.
	c := testConfig("v1")
	c.Roles[0].Options.Restart = lang.DefaultRestart
	c.Roles[0].Healthcheck.SteadyInterval = 0
	if s := Spec(c, &c.Roles[0], "h1", digestV1).Labels[LabelSpec]; s != want["web"] {
		t.Errorf("restart = unless-stopped changed the spec: %s", s)
	}
}

func TestOptionsInSpecAndHash(t *testing.T) {
	cfg := testConfig("v1")
	cfg.Roles[0].Options = lang.RunOptions{Memory: 128 << 20, Restart: "on-failure:3", CapAdd: []string{"NET_ADMIN"},
		Ulimits: map[string]lang.Ulimit{"nofile": {Soft: 1024, Hard: 4096}}, Logging: &lang.Logging{Driver: "local"}}
	s := Spec(cfg, &cfg.Roles[0], "h1", digestV1)
	if s.Options == nil || s.Options.Memory != 128<<20 || s.Options.Restart != "on-failure:3" || s.Options.LogDriver != "local" {
		t.Fatalf("options = %+v", s.Options)
	}
	if !strings.Contains(s.Labels[LabelSpec], `"options":{"memory":134217728,"restart":"on-failure:3"`) {
		t.Errorf("spec label = %s", s.Labels[LabelSpec])
	}
	base := Spec(testConfig("v1"), &testConfig("v1").Roles[0], "h1", digestV1).ConfigHash
	if s.ConfigHash == base {
		t.Error("options do not change the config hash")
	}
}

func TestBuildOptionChangesNameTheOption(t *testing.T) {
	withOpts := func(c *lcfg) {
		c.Roles[0].Options = lang.RunOptions{Memory: 128 << 20, Restart: "on-failure:3", Logging: &lang.Logging{Driver: "json-file", Options: map[string]string{"max-size": "10m"}}}
	}
	tests := []struct {
		name        string
		old, mutate func(c *lcfg)
		want        string
	}{
		{"memory added", func(*lcfg) {}, func(c *lcfg) { c.Roles[0].Options.Memory = 128 << 20 }, "[memory |(default)|128m]"},
		{"memory changed", withOpts, func(c *lcfg) { withOpts(c); c.Roles[0].Options.Memory = 256 << 20 }, "[memory |128m|256m]"},
		{"restart changed", withOpts, func(c *lcfg) { withOpts(c); c.Roles[0].Options.Restart = "always" }, "[restart |on-failure:3|always]"},
		{"restart back to the default", withOpts, func(c *lcfg) { withOpts(c); c.Roles[0].Options.Restart = "" }, "[restart |on-failure:3|unless-stopped]"},
		{"log option", withOpts, func(c *lcfg) { withOpts(c); c.Roles[0].Options.Logging.Options["max-size"] = "1m" }, "[logging.options.max-size |10m|1m]"},
		{"read_only", func(*lcfg) {}, func(c *lcfg) { c.Roles[0].Options.ReadOnly = true }, "[read_only |false|true]"},
		{"steady interval", func(*lcfg) {}, func(c *lcfg) { c.Roles[0].Healthcheck.SteadyInterval = time.Minute },
			`[healthcheck |cmd ["/app", "check"] every 1s, 3 retries, deadline 30s|cmd ["/app", "check"] every 1s, 3 retries, deadline 30s, then every 1m0s]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := testConfig("v1")
			tt.old(old)
			cfg := testConfig("v1")
			tt.mutate(cfg)
			p := build(t, cfg, deployed(old, digestV1), Options{})
			want := "h1/web replace primary " + tt.want + "\nh2/web replace " + tt.want + "\nh3/worker unchanged\nh3/accessory.cache unchanged\n"
			if got := summary(p); got != want {
				t.Errorf("changes:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestAccessoryHealthcheckInSpec(t *testing.T) {
	old := testConfig("v1")
	cfg := testConfig("v1")
	cfg.Accessories[0].Healthcheck = &lang.Healthcheck{Cmd: []string{"/app", "version"}, Interval: time.Second, Retries: 3, Deadline: 20 * time.Second}
	s := AccessorySpec(cfg, &cfg.Accessories[0], "h3", digestCache)
	if s.Health.Kind != "cmd" || !slices.Equal(s.Health.Cmd, []string{"/app", "version"}) {
		t.Fatalf("health = %+v", s.Health)
	}
	p := build(t, cfg, deployed(old, digestV1), Options{})
	c := changeOf(t, p, "h3/accessory.cache")
	if c.Action != ActionReplace || len(c.Reasons) != 1 || c.Reasons[0].Field != "healthcheck" {
		t.Errorf("accessory %s %+v", c.Action, c.Reasons)
	}
}

// A secret env_file's values are secret_env: the plan has their hashes only.
func TestEnvFileSecretsStayOutOfThePlan(t *testing.T) {
	cfg := testConfig("v1")
	cfg.Roles[1].SecretEnv = map[string]lang.Secret{"TOKEN": lang.NewSecret(`env_file("app.env")`, "tok-from-file-2718")}
	p := build(t, cfg, &fakeHosts{}, Options{})
	b, _ := json.Marshal(p)
	if strings.Contains(string(b), "tok-from-file-2718") {
		t.Error("the plan holds an env_file secret")
	}
	if c := changeOf(t, p, "h3/worker"); c.Desired.SecretEnv["TOKEN"] == "" || strings.Contains(c.Desired.Labels[LabelSpec], "tok-from") {
		t.Errorf("desired = %+v", c.Desired)
	}
}

func TestOptionReasonsInTableOrder(t *testing.T) {
	o := &ContainerOptions{ReadOnly: true, Memory: 1 << 30}
	n := &ContainerOptions{Memory: 2 << 30, CPUs: 2, Sysctls: map[string]string{"net.core.somaxconn": "1024"}}
	var got []string
	for _, r := range optionReasons(o, n) {
		got = append(got, r.Field+" "+r.Old+"→"+r.New)
	}
	want := []string{"memory 1g→2g", "cpus (default)→2", "sysctls.net.core.somaxconn (default)→1024", "read_only true→false"}
	if !slices.Equal(got, want) {
		t.Errorf("reasons %q, want %q", got, want)
	}
	if optionReasons(nil, nil) != nil || optionReasons(o, o) != nil {
		t.Error("reasons without a change")
	}
}
