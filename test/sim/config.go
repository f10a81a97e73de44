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
	// HealthDeadline is the web role's healthcheck deadline; "" = "20s".
	HealthDeadline string
	// Hosts names the hosts of the fleet the configuration declares, in
	// order; nil = every host.
	Hosts []string
	// Accessory adds accessory "db" (image REGISTRY/db:1, which the
	// registry must have) on the first host, with the named volume
	// sim-data mounted at /data.
	Accessory bool
	// RegistryUsername, with a password from the environment variable
	// SIM_REGISTRY_PASSWORD, logs in to the registry.
	RegistryUsername string
	// SSH options, "" = berth's defaults: known_hosts_policy,
	// proxy_jump ("[user@]host[:port]"), connect_timeout, command_timeout.
	KnownHostsPolicy, ProxyJump, ConnectTimeout, CommandTimeout string
	// SSHConfig, when set, is the name of an OpenSSH config file written
	// beside berth.hcl: every host is in it as Host sim-NAME (HostName,
	// Port, User, IdentityFile, UserKnownHostsFile), the host blocks give
	// only those aliases, and the ssh block only `config`.
	SSHConfig string
	// Proxy puts the web role behind the proxy (image
	// REGISTRY/kamal-proxy:v0.9.2, which the registry must have) instead
	// of publishing its port; ProxyHost is its route's host name ("" = any).
	Proxy     bool
	ProxyHost string
	// Takeover adds `takeover { from = "kamal" }` to the service block.
	Takeover bool
	// ProxyTLS gives the web route the certificate tls.crt and the key
	// tls.key of the configuration's directory (see `simcert`).
	ProxyTLS bool
	// BuildContext gives the service a build block with this context
	// (relative to the configuration); Builder is its builder's host (a
	// host of the fleet by name, else an address as written; "" = none,
	// DOCKER_HOST's daemon), BuildSecrets the names of its secrets, each
	// read from the environment variable of the same name.
	BuildContext, Builder string
	BuildSecrets          []string
	BuildArgs             []string // "NAME=VALUE"
	// LocalRegistry, when not 0, is `registry { local = true }` on this
	// port instead of the fleet's registry.
	LocalRegistry int
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
	if o.HealthDeadline == "" {
		o.HealthDeadline = "20s"
	}
	var b strings.Builder
	takeover := ""
	if o.Takeover {
		takeover = "  takeover { from = \"kamal\" }\n"
	}
	fmt.Fprintf(&b, "service %q {\n  image = %q\n%s%s}\n\n", o.Service, o.Registry+"/app", takeover, f.buildBlock(o))
	b.WriteString("variable \"version\" {\n  type    = string\n  default = \"v1\"\n}\n\n")
	if o.LocalRegistry != 0 {
		fmt.Fprintf(&b, "registry {\n  local = true\n  port  = %d\n", o.LocalRegistry)
	} else {
		fmt.Fprintf(&b, "registry {\n  server   = %q\n  insecure = true\n", o.Registry)
	}
	if o.RegistryUsername != "" {
		fmt.Fprintf(&b, "  username = %q\n  password = env(\"SIM_REGISTRY_PASSWORD\")\n", o.RegistryUsername)
	}
	b.WriteString("}\n\n")
	if o.SSHConfig != "" {
		fmt.Fprintf(&b, "ssh {\n  config = %q\n", o.SSHConfig)
	} else {
		fmt.Fprintf(&b, "ssh {\n  user        = \"root\"\n  identity    = %q\n  known_hosts = %q\n", o.Identity, o.KnownHosts)
	}
	for _, kv := range [][2]string{{"known_hosts_policy", o.KnownHostsPolicy}, {"proxy_jump", o.ProxyJump},
		{"connect_timeout", o.ConnectTimeout}, {"command_timeout", o.CommandTimeout}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "  %s = %q\n", kv[0], kv[1])
		}
	}
	b.WriteString("}\n\n")
	hosts, err := f.pick(o.Hosts)
	if err != nil {
		return err
	}
	refs := make([]string, len(hosts))
	var sshConfig strings.Builder
	for i, h := range hosts {
		if o.SSHConfig != "" {
			fmt.Fprintf(&b, "host %q {\n  address = \"sim-%s\"\n}\n", h.Name, h.Name)
			fmt.Fprintf(&sshConfig, "Host sim-%s\n  HostName %s\n  Port %d\n  User root\n  IdentityFile %s\n  UserKnownHostsFile %s\n\n",
				h.Name, h.IP, h.Port, o.Identity, o.KnownHosts)
		} else {
			fmt.Fprintf(&b, "host %q {\n  address = %q\n  port    = %d\n}\n", h.Name, h.IP, h.Port)
		}
		refs[i] = "host." + h.Name
	}
	if o.SSHConfig != "" {
		if err := os.WriteFile(filepath.Join(dir, o.SSHConfig), []byte(sshConfig.String()), 0o600); err != nil {
			return err
		}
	}
	list := "[" + strings.Join(refs, ", ") + "]"
	fmt.Fprintf(&b, "\nrole \"web\" {\n  primary = true\n  hosts   = %s\n  cmd     = [\"/app\", \"serve\"]\n", list)
	writeAccess(&b, o)
	fmt.Fprintf(&b, "  healthcheck {\n    cmd      = [\"/app\", \"check\"]\n    interval = \"1s\"\n    deadline = %q\n  }\n}\n\n", o.HealthDeadline)
	for _, w := range WorkerRoles(o.Workers) {
		fmt.Fprintf(&b, "role %q {\n  hosts = %s\n  cmd   = [\"/app\", \"work\"]\n}\n\n", w, list)
	}
	if o.Accessory {
		fmt.Fprintf(&b, "accessory \"db\" {\n  image   = %q\n  host    = %s\n  volumes = [\"sim-data:/data\"]\n}\n\n", o.Registry+"/db:1", refs[0])
	}
	if o.Proxy {
		fmt.Fprintf(&b, "proxy {\n  image     = %q\n  http_port = 8080\n}\n\n", o.Registry+"/kamal-proxy:v0.9.2")
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

// writeAccess writes how the web role is reached: its published port, or
// the proxy (the role's block, and the proxy's own at the end of the role).
func writeAccess(b *strings.Builder, o ConfigOptions) {
	if !o.Proxy {
		b.WriteString("  ports   = [\"8080:8080\"]\n")
		return
	}
	b.WriteString("  proxy {\n    app_port = 8080\n")
	if o.ProxyHost != "" {
		fmt.Fprintf(b, "    host     = %q\n", o.ProxyHost)
	}
	if o.ProxyTLS {
		b.WriteString("    tls {\n      certificate = file(\"tls.crt\")\n      private_key = file(\"tls.key\")\n    }\n")
	}
	b.WriteString("  }\n")
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

// pick returns the hosts named, in order; none named = every host.
func (f *Fleet) pick(names []string) ([]*Host, error) {
	if len(names) == 0 {
		return f.Hosts, nil
	}
	var out []*Host
	for _, n := range names {
		h := f.Host(n)
		if h == nil {
			return nil, fmt.Errorf("sim: no host %q in the fleet", n)
		}
		out = append(out, h)
	}
	return out, nil
}

// Host returns the host named name, or nil.
func (f *Fleet) Host(name string) *Host {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// buildBlock is the service's build block of o ("" = none).
func (f *Fleet) buildBlock(o ConfigOptions) string {
	if o.BuildContext == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  build {\n    context = %q\n", o.BuildContext)
	if len(o.BuildArgs) > 0 {
		b.WriteString("    args = {\n")
		for _, kv := range o.BuildArgs {
			k, v, _ := strings.Cut(kv, "=")
			fmt.Fprintf(&b, "      %s = %q\n", k, v)
		}
		b.WriteString("    }\n")
	}
	if len(o.BuildSecrets) > 0 {
		b.WriteString("    secrets = {\n")
		for _, s := range o.BuildSecrets {
			fmt.Fprintf(&b, "      %s = env(%q)\n", s, s)
		}
		b.WriteString("    }\n")
	}
	switch h := f.Host(o.Builder); {
	case h != nil:
		fmt.Fprintf(&b, "    builder {\n      host = host.%s\n    }\n", h.Name)
	case o.Builder != "":
		fmt.Fprintf(&b, "    builder {\n      host = %q\n    }\n", o.Builder)
	}
	b.WriteString("  }\n")
	return b.String()
}
