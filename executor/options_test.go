package executor

import (
	"reflect"
	"testing"
	"time"

	"github.com/berth-sh/berth/executor/dockerapi"
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
