package planner

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/lang"
)

// ContainerOptions are the Docker options of a container beyond its
// command, environment, ports and volumes (lang.RunOptions in plan form).
// Every field is omitted from the JSON when it is Docker's default, and a
// container without any is nil in SpecSummary, so containers made before
// these options existed keep their config hash.
type ContainerOptions struct {
	Memory            int64             `json:"memory,omitempty"` // bytes
	MemoryReservation int64             `json:"memory_reservation,omitempty"`
	CPUs              float64           `json:"cpus,omitempty"`
	PidsLimit         int64             `json:"pids_limit,omitempty"`
	Restart           string            `json:"restart,omitempty"` // "" = lang.DefaultRestart
	User              string            `json:"user,omitempty"`
	Workdir           string            `json:"workdir,omitempty"`
	Entrypoint        []string          `json:"entrypoint,omitempty"`
	Init              bool              `json:"init,omitempty"`
	Hostname          string            `json:"hostname,omitempty"`
	ExtraHosts        []string          `json:"extra_hosts,omitempty"`
	Devices           []string          `json:"devices,omitempty"`
	CapAdd            []string          `json:"cap_add,omitempty"`
	CapDrop           []string          `json:"cap_drop,omitempty"`
	SecurityOpt       []string          `json:"security_opt,omitempty"`
	Sysctls           map[string]string `json:"sysctls,omitempty"`
	Ulimits           map[string]Ulimit `json:"ulimits,omitempty"`
	ShmSize           int64             `json:"shm_size,omitempty"`
	Tmpfs             []string          `json:"tmpfs,omitempty"`
	ReadOnly          bool              `json:"read_only,omitempty"`
	LogDriver         string            `json:"log_driver,omitempty"`
	LogOptions        map[string]string `json:"log_options,omitempty"`
}

// Ulimit is a resource limit; -1 is unlimited.
type Ulimit struct {
	Soft int64 `json:"soft"`
	Hard int64 `json:"hard"`
}

// containerOptions is the plan form of o; nil when every option is Docker's default.
func containerOptions(o lang.RunOptions) *ContainerOptions {
	c := &ContainerOptions{
		Memory: o.Memory, MemoryReservation: o.MemoryReservation, CPUs: o.CPUs, PidsLimit: o.PidsLimit,
		Restart: o.Restart, User: o.User, Workdir: o.Workdir, Entrypoint: slices.Clone(o.Entrypoint), Init: o.Init,
		Hostname: o.Hostname, ExtraHosts: slices.Clone(o.ExtraHosts), Devices: slices.Clone(o.Devices),
		CapAdd: slices.Clone(o.CapAdd), CapDrop: slices.Clone(o.CapDrop), SecurityOpt: slices.Clone(o.SecurityOpt),
		Sysctls: nilIfEmptyMap(maps.Clone(o.Sysctls)), ShmSize: o.ShmSize, Tmpfs: slices.Clone(o.Tmpfs), ReadOnly: o.ReadOnly,
	}
	if c.Restart == lang.DefaultRestart {
		c.Restart = ""
	}
	if len(o.Ulimits) > 0 {
		c.Ulimits = map[string]Ulimit{}
		for k, u := range o.Ulimits {
			c.Ulimits[k] = Ulimit{Soft: u.Soft, Hard: u.Hard}
		}
	}
	if o.Logging != nil {
		c.LogDriver, c.LogOptions = o.Logging.Driver, nilIfEmptyMap(maps.Clone(o.Logging.Options))
	}
	if c.isZero() {
		return nil
	}
	return c
}

func nilIfEmptyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func (c *ContainerOptions) isZero() bool {
	return c.fields() == nil
}

// optionField is one option rendered for a plan's diff.
type optionField struct {
	name, value string
}

// fields renders every option that is set, in the order of the README's
// table; nil for a nil or empty c.
func (c *ContainerOptions) fields() []optionField {
	if c == nil {
		return nil
	}
	var out []optionField
	add := func(name string, set bool, value string) {
		if set {
			out = append(out, optionField{name, value})
		}
	}
	add("memory", c.Memory != 0, lang.FormatSize(c.Memory))
	add("memory_reservation", c.MemoryReservation != 0, lang.FormatSize(c.MemoryReservation))
	add("cpus", c.CPUs != 0, strconv.FormatFloat(c.CPUs, 'g', -1, 64))
	add("pids_limit", c.PidsLimit != 0, strconv.FormatInt(c.PidsLimit, 10))
	add("restart", c.Restart != "", c.Restart)
	add("user", c.User != "", c.User)
	add("workdir", c.Workdir != "", c.Workdir)
	add("entrypoint", len(c.Entrypoint) > 0, argv(c.Entrypoint))
	add("init", c.Init, "true")
	add("hostname", c.Hostname != "", c.Hostname)
	add("extra_hosts", len(c.ExtraHosts) > 0, list(c.ExtraHosts))
	add("devices", len(c.Devices) > 0, list(c.Devices))
	add("cap_add", len(c.CapAdd) > 0, list(c.CapAdd))
	add("cap_drop", len(c.CapDrop) > 0, list(c.CapDrop))
	add("security_opt", len(c.SecurityOpt) > 0, list(c.SecurityOpt))
	for _, k := range slices.Sorted(maps.Keys(c.Sysctls)) {
		add("sysctls."+k, true, c.Sysctls[k])
	}
	for _, k := range slices.Sorted(maps.Keys(c.Ulimits)) {
		u := c.Ulimits[k]
		add("ulimits."+k, true, fmt.Sprintf("%d:%d", u.Soft, u.Hard))
	}
	add("shm_size", c.ShmSize != 0, lang.FormatSize(c.ShmSize))
	add("tmpfs", len(c.Tmpfs) > 0, list(c.Tmpfs))
	add("read_only", c.ReadOnly, "true")
	add("logging.driver", c.LogDriver != "", c.LogDriver)
	for _, k := range slices.Sorted(maps.Keys(c.LogOptions)) {
		add("logging.options."+k, true, c.LogOptions[k])
	}
	return out
}

// defaultOf is how an option that is not set reads in a diff.
func defaultOf(name string) string {
	switch name {
	case "restart":
		return lang.DefaultRestart
	case "init", "read_only":
		return "false"
	}
	return "(default)"
}

// optionReasons names every option that differs between o and n.
func optionReasons(o, n *ContainerOptions) []Reason {
	old := map[string]string{}
	var names []string
	for _, f := range o.fields() {
		old[f.name] = f.value
		names = append(names, f.name)
	}
	nw := map[string]string{}
	for _, f := range n.fields() {
		nw[f.name] = f.value
		if _, ok := old[f.name]; !ok {
			names = append(names, f.name)
		}
	}
	slices.SortStableFunc(names, func(a, b string) int { return optionRank(a) - optionRank(b) })
	var rs []Reason
	for _, name := range names {
		ov, inO := old[name]
		nv, inN := nw[name]
		switch {
		case !inO:
			rs = append(rs, Reason{Field: name, Old: defaultOf(name), New: nv})
		case !inN:
			rs = append(rs, Reason{Field: name, Old: ov, New: defaultOf(name)})
		case ov != nv:
			rs = append(rs, Reason{Field: name, Old: ov, New: nv})
		}
	}
	return rs
}

// optionOrder is the order in which a diff lists the options.
var optionOrder = strings.Fields(`memory memory_reservation cpus pids_limit restart user workdir entrypoint init
	hostname extra_hosts devices cap_add cap_drop security_opt sysctls ulimits shm_size tmpfs read_only logging`)

// optionRank is the position of a field ("sysctls.net.core.somaxconn" counts as sysctls).
func optionRank(field string) int {
	name, _, _ := strings.Cut(field, ".")
	if i := slices.Index(optionOrder, name); i >= 0 {
		return i
	}
	return len(optionOrder)
}
