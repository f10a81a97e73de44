package executor

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// withOptions adds a spec's container options to a create request; the
// restart policy is lang.DefaultRestart unless the options set another.
func withOptions(cs dockerapi.CreateSpec, o *planner.ContainerOptions) dockerapi.CreateSpec {
	cs.RestartPolicy = lang.DefaultRestart
	if o == nil {
		return cs
	}
	if o.Restart != "" {
		if name, n, err := lang.ParseRestart(o.Restart); err == nil {
			cs.RestartPolicy, cs.RestartRetries = name, n
		}
	}
	cs.Memory, cs.MemoryReservation, cs.ShmSize = o.Memory, o.MemoryReservation, o.ShmSize
	cs.NanoCPUs = int64(math.Round(o.CPUs * 1e9))
	cs.PidsLimit = o.PidsLimit
	cs.User, cs.WorkingDir, cs.Hostname = o.User, o.Workdir, o.Hostname
	cs.Entrypoint = slices.Clone(o.Entrypoint)
	cs.Init, cs.ReadOnly = o.Init, o.ReadOnly
	cs.ExtraHosts, cs.CapAdd, cs.CapDrop = slices.Clone(o.ExtraHosts), slices.Clone(o.CapAdd), slices.Clone(o.CapDrop)
	cs.SecurityOpt = slices.Clone(o.SecurityOpt)
	cs.Sysctls = maps.Clone(o.Sysctls)
	for _, d := range o.Devices {
		cs.Devices = append(cs.Devices, device(d))
	}
	names := make([]string, 0, len(o.Ulimits))
	for n := range o.Ulimits {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cs.Ulimits = append(cs.Ulimits, dockerapi.Ulimit{Name: n, Soft: o.Ulimits[n].Soft, Hard: o.Ulimits[n].Hard})
	}
	for _, t := range o.Tmpfs {
		path, opts, _ := strings.Cut(t, ":")
		if cs.Tmpfs == nil {
			cs.Tmpfs = map[string]string{}
		}
		cs.Tmpfs[path] = opts
	}
	cs.LogDriver, cs.LogOptions = o.LogDriver, maps.Clone(o.LogOptions)
	return cs
}

// device reads "/dev/host[:/dev/container][:perms]" as docker run --device does.
func device(s string) dockerapi.Device {
	parts := strings.Split(s, ":")
	d := dockerapi.Device{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
	switch {
	case len(parts) == 3:
		d.PathInContainer, d.CgroupPermissions = parts[1], parts[2]
	case len(parts) == 2 && strings.HasPrefix(parts[1], "/"):
		d.PathInContainer = parts[1]
	case len(parts) == 2:
		d.CgroupPermissions = parts[1]
	}
	return d
}
