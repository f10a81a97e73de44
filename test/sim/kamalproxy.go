package sim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// proxyRoute is one route of the host's simulated kamal-proxy.
type proxyRoute struct {
	hosts, paths []string
	target       string // "ID:PORT" as deployed
	stopped      bool
	tls          bool
}

// kamalProxy runs a `kamal-proxy` command inside a proxy container: the
// routes live in the daemon (like kamal-proxy's state volume, they outlive
// the container). deploy succeeds when the target is a running container
// of a good image, and keeps a stopped route stopped; remove, stop,
// resume and list act on the routes. The caller holds d.mu.
func (d *Docker) kamalProxy(cmd []string) result {
	if d.routes == nil {
		d.routes = map[string]*proxyRoute{}
	}
	if len(cmd) == 2 && cmd[1] == "list" {
		return result{stdout: d.proxyList()}
	}
	if len(cmd) < 3 {
		return result{stderr: "Error: unknown command\n", code: 1}
	}
	name, r := cmd[2], d.routes[cmd[2]]
	switch cmd[1] {
	case "deploy":
		return d.proxyDeploy(name, cmd[3:])
	case "remove", "stop", "resume":
		if r == nil {
			return result{stderr: "Error: service not found\n", code: 1}
		}
		switch cmd[1] {
		case "remove":
			delete(d.routes, name)
		case "stop":
			r.stopped = true
		default:
			r.stopped = false
		}
		return result{}
	}
	return result{stderr: "Error: unknown command " + cmd[1] + "\n", code: 1}
}

// proxyDeploy points route name at --target once the target is healthy.
func (d *Docker) proxyDeploy(name string, args []string) result {
	next := &proxyRoute{}
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--target":
			next.target = args[i+1]
		case "--host":
			next.hosts = append(next.hosts, args[i+1])
		case "--path-prefix":
			next.paths = append(next.paths, args[i+1])
		case "--tls-certificate-path", "--tls-private-key-path":
			if _, ok := d.files[args[i+1]]; !ok {
				return result{stderr: "Error: unable to load certificate\n", code: 1}
			}
		}
	}
	next.tls = slices.Contains(args, "--tls")
	id, _, _ := strings.Cut(next.target, ":")
	var target *Container
	for _, c := range d.containers {
		if id != "" && (strings.HasPrefix(c.ID, id) || c.Name == id) {
			target = c
		}
	}
	if target == nil || !target.Running || tagOf(target.Image) == TagBroken || tagOf(target.Image) == TagHang {
		return result{stderr: "Error: target failed to become healthy within configured timeout\n", code: 1}
	}
	if old := d.routes[name]; old != nil {
		next.stopped = old.stopped
	}
	d.routes[name] = next
	return result{}
}

// proxyList is the table `kamal-proxy list` prints (without its colours).
func (d *Docker) proxyList() string {
	var b strings.Builder
	b.WriteString("Service  Host  Path  Target  State  TLS\n")
	for _, name := range slices.Sorted(maps.Keys(d.routes)) {
		r := d.routes[name]
		state := "running"
		if r.stopped {
			state = "stopped"
		}
		tls := "no"
		if r.tls {
			tls = "yes"
		}
		fmt.Fprintf(&b, "%s  %s  %s  %s  %s  %s\n", name, cmp.Or(strings.Join(r.hosts, ","), "*"),
			cmp.Or(strings.Join(r.paths, ","), "/"), r.target, state, tls)
	}
	return b.String()
}
