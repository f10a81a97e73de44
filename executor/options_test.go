package executor

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

func TestWithOptions(t *testing.T) {
	if cs := withOptions(dockerapi.CreateSpec{Image: "app"}, nil); cs.RestartPolicy != "unless-stopped" || cs.Memory != 0 {
		t.Errorf("no options: %+v", cs)
	}
	o := &planner.ContainerOptions{Memory: 128 << 20, CPUs: 0.5, Restart: "on-failure:3",
		Devices: []string{"/dev/fuse", "/dev/sda:/dev/xvda", "/dev/sdb:r", "/dev/sdc:/dev/xvdc:rw"},
		Tmpfs:   []string{"/tmp:size=64m", "/run"}, Ulimits: map[string]planner.Ulimit{"nproc": {Soft: 1, Hard: 2}, "core": {}}}
	cs := withOptions(dockerapi.CreateSpec{Image: "app"}, o)
	if cs.RestartPolicy != "on-failure" || cs.RestartRetries != 3 || cs.Memory != 128<<20 || cs.NanoCPUs != 500_000_000 {
		t.Errorf("spec %+v", cs)
	}
	wantDev := []dockerapi.Device{{PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm"}, {PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "rwm"}, {PathOnHost: "/dev/sdb", PathInContainer: "/dev/sdb", CgroupPermissions: "r"}, {PathOnHost: "/dev/sdc", PathInContainer: "/dev/xvdc", CgroupPermissions: "rw"}}
	if !reflect.DeepEqual(cs.Devices, wantDev) {
		t.Errorf("devices %+v", cs.Devices)
	}
	if !reflect.DeepEqual(cs.Tmpfs, map[string]string{"/tmp": "size=64m", "/run": ""}) {
		t.Errorf("tmpfs %+v", cs.Tmpfs)
	}
	if !reflect.DeepEqual(cs.Ulimits, []dockerapi.Ulimit{{Name: "core"}, {Name: "nproc", Soft: 1, Hard: 2}}) {
		t.Errorf("ulimits %+v", cs.Ulimits)
	}
}

func TestHealthConfigSteadyInterval(t *testing.T) {
	h := planner.HealthSpec{Kind: "cmd", Cmd: []string{"/app", "check"}, Interval: time.Second, Retries: 3, Deadline: 30 * time.Second}
	if got := healthConfig(h); got.Interval != 30*time.Second || got.StartPeriod != 30*time.Second {
		t.Errorf("default steady interval: %+v", got)
	}
	h.SteadyInterval = 10 * time.Second
	if got := healthConfig(h); got.Interval != 10*time.Second {
		t.Errorf("steady_interval: %+v", got)
	}
}

// withCache adds a cache accessory on h3 with a health check; tag
// "unhealthy" never passes it.
func withCache(cfg *lang.Config, tag string) *lang.Config {
	cfg.Accessories = []lang.Accessory{{Name: "cache", Image: "10.77.0.1:5000/cache:" + tag, Hosts: []string{"h3"},
		Healthcheck: &lang.Healthcheck{Cmd: []string{"/app", "version"}, Interval: 10 * time.Millisecond, Deadline: 200 * time.Millisecond},
		Stop:        lang.Stop{Timeout: time.Second}}}
	return cfg
}

func TestRolesStartAfterTheirAccessoryIsHealthy(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, withCache(config("v1"), "7"))
	before(t, f, "h3 healthy shop-cache", "h1 start shop-web-v1")
	before(t, f, "h3 healthy shop-cache", "h3 start shop-worker-v1")
}

func TestUnhealthyAccessoryClosesTheBarrier(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	_, err := apply(t, f, withCache(config("v1"), "unhealthy"))
	if !errors.Is(err, ErrBarrierClosed) || !strings.Contains(err.Error(), "an accessory it depends on failed (h3/accessory.cache)") {
		t.Fatalf("err = %v", err)
	}
	if f.has("h1 start shop-web") || f.has("h3 start shop-worker") {
		t.Errorf("a role started although the cache never turned healthy:\n%s", strings.Join(f.events, "\n"))
	}
}
