package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ConfigOptions shape the berth configuration WriteConfig generates.
type ConfigOptions struct {
	Service  string // default "sim"
	Registry string // the registry's host, "127.0.0.1:PORT"
	// Identity and KnownHosts are the paths WriteClientFiles returned.
	Identity, KnownHosts string
	// Parallelism is deploy.parallelism; 0 leaves berth's default.
	Parallelism int
	// Workers is the number of roles besides web: 0 or 1 = one role
	// "worker", more = "worker1", "worker2", ... (each on every host).
	Workers int
	// Batch is deploy.rolling.batch (hosts per rolling batch); 0 = none.
	Batch int
	// ReadinessDelay is deploy.readiness_delay, e.g. "1ms" (the worker
	// role has no health check and waits this long).
	ReadinessDelay string
}

// WriteConfig writes dir/berth.hcl: a web role with a published port and
// a health check command on every host (h1 its primary host) and worker
// roles without health check on every host. The version is var.version.
func (f *Fleet) WriteConfig(dir string, o ConfigOptions) error {
	if o.Service == "" {
		o.Service = "sim"
	}
	if o.ReadinessDelay == "" {
		o.ReadinessDelay = "1ms"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "service %q {\n  image = %q\n}\n\n", o.Service, o.Registry+"/app")
	b.WriteString("variable \"version\" {\n  type    = string\n  default = \"v1\"\n}\n\n")
	fmt.Fprintf(&b, "registry {\n  server   = %q\n  insecure = true\n}\n\n", o.Registry)
	fmt.Fprintf(&b, "ssh {\n  user        = \"root\"\n  identity    = %q\n  known_hosts = %q\n}\n\n", o.Identity, o.KnownHosts)
	refs := make([]string, len(f.Hosts))
	for i, h := range f.Hosts {
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  port    = %d\n}\n", h.Name, h.IP, h.Port)
		refs[i] = "host." + h.Name
	}
	list := "[" + strings.Join(refs, ", ") + "]"
	fmt.Fprintf(&b, "\nrole \"web\" {\n  primary = true\n  hosts   = %s\n  cmd     = [\"/app\", \"serve\"]\n  ports   = [\"8080:8080\"]\n", list)
	b.WriteString("  healthcheck {\n    cmd      = [\"/app\", \"check\"]\n    interval = \"1s\"\n    deadline = \"20s\"\n  }\n}\n\n")
	for _, w := range WorkerRoles(o.Workers) {
		fmt.Fprintf(&b, "role %q {\n  hosts = %s\n  cmd   = [\"/app\", \"work\"]\n}\n\n", w, list)
	}
	b.WriteString("deploy {\n  version = var.version\n")
	if o.Batch > 0 {
		fmt.Fprintf(&b, "  rolling {\n    batch = %d\n  }\n", o.Batch)
	}
	if o.Parallelism > 0 {
		fmt.Fprintf(&b, "  parallelism = %d\n", o.Parallelism)
	}
	fmt.Fprintf(&b, "  readiness_delay = %q\n}\n", o.ReadinessDelay)
	return os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(b.String()), 0o644)
}

// WorkerRoles names the worker roles WriteConfig writes for o.Workers.
func WorkerRoles(n int) []string {
	if n <= 1 {
		return []string{"worker"}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("worker%d", i+1)
	}
	return out
}
