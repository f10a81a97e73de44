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
	// ReadinessDelay is deploy.readiness_delay, e.g. "1ms" (the worker
	// role has no health check and waits this long).
	ReadinessDelay string
}

// WriteConfig writes dir/berth.hcl: a web role with a published port and
// a health check command on every host (h1 its primary host) and a worker
// role without health check on every host. The version is var.version.
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
		fmt.Fprintf(&b, "host %q {\n  address = \"127.0.0.1\"\n  port    = %d\n}\n", h.Name, h.Port)
		refs[i] = "host." + h.Name
	}
	list := "[" + strings.Join(refs, ", ") + "]"
	fmt.Fprintf(&b, "\nrole \"web\" {\n  primary = true\n  hosts   = %s\n  cmd     = [\"/app\", \"serve\"]\n  ports   = [\"8080:8080\"]\n", list)
	b.WriteString("  healthcheck {\n    cmd      = [\"/app\", \"check\"]\n    interval = \"1s\"\n    deadline = \"20s\"\n  }\n}\n\n")
	fmt.Fprintf(&b, "role \"worker\" {\n  hosts = %s\n  cmd   = [\"/app\", \"work\"]\n}\n\n", list)
	b.WriteString("deploy {\n  version = var.version\n")
	if o.Parallelism > 0 {
		fmt.Fprintf(&b, "  parallelism = %d\n", o.Parallelism)
	}
	fmt.Fprintf(&b, "  readiness_delay = %q\n}\n", o.ReadinessDelay)
	return os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(b.String()), 0o644)
}
