package kamal

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// containerOpts are the container attributes that Kamal's `options`
// (docker run flags), `volumes` and `port` give.
type containerOpts struct {
	ports, volumes []string // sources
	// published are the options (publish, p) that gave ports, for the
	// report of a role behind the proxy.
	published []optionKey
	attrs     [][2]string // name, source, in flag order
	lists     map[string][]string
	maps      map[string][][2]string
}

// optionKey is one key of options: its key and value nodes and its path.
type optionKey struct {
	key, val *yaml.Node
	path     string
}

// The docker run flags of Kamal's options that berth has an attribute for.
var (
	scalarFlags = map[string]string{
		"memory": "memory", "m": "memory", "memory-reservation": "memory_reservation", "cpus": "cpus",
		"pids-limit": "pids_limit", "restart": "restart", "user": "user", "u": "user", "workdir": "workdir",
		"w": "workdir", "init": "init", "hostname": "hostname", "h": "hostname", "shm-size": "shm_size",
		"read-only": "read_only", "stop-signal": "stop_signal", "stop-timeout": "stop_timeout",
	}
	listFlags = map[string]string{
		"add-host": "extra_hosts", "device": "devices", "cap-add": "cap_add", "cap-drop": "cap_drop",
		"security-opt": "security_opt", "tmpfs": "tmpfs",
	}
	numberFlags = map[string]bool{"cpus": true, "pids_limit": true}
	boolFlags   = map[string]bool{"init": true, "read_only": true}
)

// options reads a Kamal options mapping into o; the flags berth has no
// attribute for are noted in body.
func (c *conv) options(body *hclwrite.Body, opts *obj, o *containerOpts) {
	if opts == nil {
		return
	}
	o.lists, o.maps = map[string][]string{}, map[string][][2]string{}
	for _, flag := range opts.keys() {
		v := opts.get(flag)
		vals := stringList(v)
		if v == nil {
			vals = []string{"true"}
		}
		switch name := scalarFlags[flag]; {
		case flag == "publish" || flag == "p":
			o.ports = append(o.ports, c.strs(vals)...)
			o.published = append(o.published, optionKey{keyNode(opts, flag), v, opts.key(flag)})
		case flag == "volume" || flag == "v":
			o.volumes = append(o.volumes, c.strs(vals)...)
		case flag == "entrypoint":
			o.attrs = append(o.attrs, [2]string{"entrypoint", listSrc(c.strs(vals))})
		case name != "" && len(vals) == 1:
			o.attrs = append(o.attrs, [2]string{name, c.optionValue(name, vals[0])})
		case listFlags[flag] != "":
			o.lists[listFlags[flag]] = append(o.lists[listFlags[flag]], c.strs(vals)...)
		case flag == "sysctl" || flag == "ulimit":
			key := map[string]string{"sysctl": "sysctls", "ulimit": "ulimits"}[flag]
			for _, kv := range vals {
				k, val, _ := strings.Cut(kv, "=")
				o.maps[key] = append(o.maps[key], [2]string{k, c.str(val)})
			}
		default:
			opts.used[flag] = false
		}
	}
	c.rest(body, opts, map[string]string{
		"network": "berth puts every container on the service's network (service.network)",
		"env":     "use env",
		"label":   "use labels",
	})
}

// optionValue is the source of a berth option from a flag's text.
func (c *conv) optionValue(name, s string) string {
	switch {
	case numberFlags[name]:
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s
		}
	case boolFlags[name]:
		if s == "true" || s == "false" {
			return s
		}
	case name == "stop_timeout":
		if d, ok := seconds(s); ok {
			return quote(d)
		}
	}
	return c.str(s)
}

// write sets the attributes in body, in a stable order.
func (o *containerOpts) write(b *hclwrite.Body) {
	if len(o.ports) > 0 {
		attr(b, "ports", listSrc(o.ports))
	}
	if len(o.volumes) > 0 {
		attr(b, "volumes", listSrc(o.volumes))
	}
	for _, a := range o.attrs {
		attr(b, a[0], a[1])
	}
	for _, name := range []string{"extra_hosts", "devices", "cap_add", "cap_drop", "security_opt", "tmpfs"} {
		if l := o.lists[name]; len(l) > 0 {
			attr(b, name, listSrc(l))
		}
	}
	for _, name := range []string{"sysctls", "ulimits"} {
		if m := o.maps[name]; len(m) > 0 {
			attr(b, name, mapSrc(m))
		}
	}
}
