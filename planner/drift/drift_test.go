package drift

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

const digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func config() *lang.Config {
	return &lang.Config{
		Service: lang.Service{Name: "shop", Image: "reg/shop"},
		Version: lang.Version{Full: "v2", Short: "v2"},
		Hosts:   []lang.Host{{Name: "h1"}, {Name: "h2"}},
		Roles: []lang.Role{
			{Name: "web", Primary: true, Hosts: []string{"h1", "h2"}, Cmd: []string{"/app", "serve"}},
		},
		Accessories: []lang.Accessory{{Name: "cache", Image: "reg/cache:7", Hosts: []string{"h2"}}},
		Deploy:      lang.Deploy{Retain: 3, StopTimeout: 10 * time.Second},
	}
}

// live makes the container the configuration would start for role on host
// at version, in state.
func live(cfg *lang.Config, host, role, version, state string, age time.Duration) planner.Container {
	c := *cfg
	c.Version = lang.Version{Full: version, Short: version}
	spec := planner.Spec(&c, &c.Roles[0], host, digest)
	return planner.Container{ID: host + role + version, Name: spec.Name, Role: role, Version: version,
		ConfigHash: spec.ConfigHash, Image: spec.Image, State: state, Created: time.Unix(1e9, 0).Add(-age), Labels: spec.Labels}
}

func cache(cfg *lang.Config, host string) planner.Container {
	spec := planner.AccessorySpec(cfg, &cfg.Accessories[0], host, digest)
	return planner.Container{ID: "cache", Name: spec.Name, Accessory: "cache", Version: "7", ConfigHash: spec.ConfigHash,
		Image: spec.Image, State: "running", Labels: spec.Labels}
}

func marks(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.Host + "/" + r.What() + " " + r.Version + " " + r.State + " " + r.Mark + " " + strings.Join(r.Reasons, "; ") + "\n")
	}
	return b.String()
}

func TestCompare(t *testing.T) {
	cfg := config()
	worker := live(cfg, "h2", "worker", "v2", "running", 0)
	worker.Role = "worker"
	changed := live(cfg, "h2", "web", "v2", "running", 0)
	changed.ConfigHash = "sha256:other"
	spec, _ := planner.ParseSpecSummary(changed.Labels[planner.LabelSpec])
	spec.Env = map[string]string{"A": "1"}
	changed.Labels = map[string]string{planner.LabelSpec: spec.JSON()}

	cases := []struct {
		name   string
		states []planner.HostState
		want   string
	}{
		{"in sync, with a retained old version", []planner.HostState{
			{Host: "h1", Containers: []planner.Container{live(cfg, "h1", "web", "v1", "exited", time.Hour), live(cfg, "h1", "web", "v2", "running", 0)}},
			{Host: "h2", Containers: []planner.Container{live(cfg, "h2", "web", "v2", "running", 0), cache(cfg, "h2")}},
		}, "h1/web v2 running  \nh1/web v1 exited retained \nh2/web v2 running  \nh2/accessory.cache 7 running  \n"},
		{"killed, old version, missing accessory", []planner.HostState{
			{Host: "h1", Containers: []planner.Container{live(cfg, "h1", "web", "v2", "exited", 0)}},
			{Host: "h2", Containers: []planner.Container{live(cfg, "h2", "web", "v1", "running", 0)}},
		}, "h1/web v2 exited DRIFT not running: the configuration wants v2 running here\n" +
			"h2/web v1 running DRIFT version v1, the configuration says v2\n" +
			"h2/accessory.cache  missing DRIFT no container: the configuration wants 7 here\n"},
		{"config changed, unclaimed role", []planner.HostState{
			{Host: "h1", Containers: []planner.Container{live(cfg, "h1", "web", "v2", "running", 0)}},
			{Host: "h2", Containers: []planner.Container{changed, cache(cfg, "h2"), worker}},
		}, "h1/web v2 running  \nh2/web v2 running DRIFT config differs from the configuration's (env)\n" +
			"h2/accessory.cache 7 running  \nh2/worker v2 running UNCLAIMED role worker is no longer in the configuration\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := marks(Compare(cfg, c.states)); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestCompareHostsRowsAnUnreachableHost(t *testing.T) {
	cfg := config()
	states := []planner.HostState{{Host: "h1", Containers: []planner.Container{live(cfg, "h1", "web", "v2", "running", time.Hour)}}}
	rows := CompareHosts(cfg, states, map[string]error{"h2": errors.New("ssh: dial tcp 10.0.0.2:22: i/o timeout")})
	got := marks(rows)
	want := "h1/web v2 running  \nh2/*  unknown UNREACHABLE ssh: dial tcp 10.0.0.2:22: i/o timeout\n"
	if got != want {
		t.Fatalf("rows:\n%s\nwant:\n%s", got, want)
	}
	if r := rows[1]; !r.Unreachable || r.Error == "" || r.Host != "h2" {
		t.Errorf("unreachable row: %+v", r)
	}
	if AllClear(rows) {
		t.Error("all clear with a host unread")
	}
	// Every host read and as configured: all clear.
	states = append(states, planner.HostState{Host: "h2", Containers: []planner.Container{live(cfg, "h2", "web", "v2", "running", time.Hour), cache(cfg, "h2")}})
	if rows := CompareHosts(cfg, states, nil); !AllClear(rows) {
		t.Errorf("not all clear:\n%s", marks(rows))
	}
}
