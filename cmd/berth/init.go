package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/lang"
)

type initOptions struct {
	service  string
	image    string
	registry string
	hosts    []string
}

func newInitCmd(a *app) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter configuration (berth.hcl) and check that it validates",
		Long: `Write berth.hcl in the configuration directory (--chdir), with a comment on
every setting, then load it like every other command does to check that
it is valid. It never overwrites a file. Edit the hosts, the image and the
registry, set REGISTRY_PASSWORD in the environment, then run berth plan.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.init(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.service, "service", "", "the service name (default: the directory's name)")
	f.StringVar(&o.image, "image", "", "the image repository, without tag (default: REGISTRY/SERVICE)")
	f.StringVar(&o.registry, "registry", "registry.example.com", "the registry server")
	f.StringArrayVar(&o.hosts, "host", nil, "a host: ADDRESS or NAME=ADDRESS (repeatable; default one example host)")
	return cmd
}

var nameRe = regexp.MustCompile(`[^a-z0-9-]+`)

// errExists refuses to overwrite a configuration.
var errExists = errors.New("already exists; berth init never overwrites a file")

func (a *app) init(ctx context.Context, o initOptions) error {
	path := filepath.Join(a.chdir, "berth.hcl")
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s %w", path, errExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	data, err := starterData(a.chdir, o)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := starter.Execute(&b, data); err != nil {
		return err
	}
	src, diags := lang.Format([]byte(b.String()), "berth.hcl")
	if diags.HasErrors() {
		return fmt.Errorf("formatting the starter configuration: %s", diags.Error())
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(src); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.Out, "Wrote %s.\n", path)

	// Check it as berth validate does: the secrets it reads from the
	// environment need not be set yet.
	missing := !hasEnv(a.environ, "REGISTRY_PASSWORD")
	res := lang.Load(ctx, lang.Options{Dir: a.chdir, Environ: a.environ, Validate: true})
	if err := lang.WriteDiagnostics(a.Err, res.Files, res.Diags, 0, false); err != nil {
		return err
	}
	if res.Diags.HasErrors() {
		return fmt.Errorf("the configuration in %s does not validate (see above)", a.chdir)
	}
	fmt.Fprintln(a.Out, "It validates. Next: edit the hosts, the image and the registry, then")
	if missing {
		fmt.Fprintln(a.Out, "    export REGISTRY_PASSWORD=...   # the registry password; never written to a file")
	}
	fmt.Fprintln(a.Out, "    berth plan")
	return nil
}

func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

type starterHost struct{ Name, Address string }

func starterData(dir string, o initOptions) (map[string]any, error) {
	service := o.service
	if service == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		service = strings.Trim(nameRe.ReplaceAllString(strings.ToLower(filepath.Base(abs)), "-"), "-")
		if service == "" {
			service = "app"
		}
	}
	image := o.image
	if image == "" {
		image = o.registry + "/" + service
	}
	var hosts []starterHost
	for i, h := range o.hosts {
		name, addr, ok := strings.Cut(h, "=")
		if !ok {
			name, addr = fmt.Sprintf("web%d", i+1), h
		}
		hosts = append(hosts, starterHost{Name: name, Address: addr})
	}
	if len(hosts) == 0 {
		hosts = []starterHost{{Name: "web1", Address: "192.0.2.10"}}
	}
	return map[string]any{"Service": service, "Image": image, "Registry": o.registry, "Hosts": hosts}, nil
}

var starter = template.Must(template.New("berth.hcl").Parse(`# berth configuration. Every *.hcl file in this directory is read.
# berth validate checks it, berth plan shows what would change on the
# hosts, berth apply does it. See berth --help.

service "{{.Service}}" {
  image = "{{.Image}}" # the repository; the tag is the version
}

# The version to deploy is the image tag: berth plan --var version=v2.
# Without a version (no variable, no deploy.version) berth uses git HEAD.
variable "version" {
  type    = string
  default = "latest"
}

registry {
  server   = "{{.Registry}}"
  username = "deploy"
  password = env("REGISTRY_PASSWORD") # a secret: never printed, never in a plan file
  # insecure = true                   # only for a registry that speaks plain http
}

ssh {
  user        = "root"
  identity    = "~/.ssh/id_ed25519"  # and the ssh-agent when SSH_AUTH_SOCK is set
  known_hosts = "~/.ssh/known_hosts" # host keys are always verified
  # proxy_jump = "bastion.example.com"
}
{{range .Hosts}}
host "{{.Name}}" { address = "{{.Address}}" }
{{- end}}

# A role is a set of identical containers on some hosts. The primary role
# (primary = true, else the role named web) on its first host is deployed
# first: no other host or role cuts over until it is healthy (the barrier).
role "web" {
  primary = true
  hosts   = [{{range $i, $h := .Hosts}}{{if $i}}, {{end}}host.{{$h.Name}}{{end}}]
  # cmd   = ["/app", "serve"]  # default: the image's own
  ports   = ["80:8080"]        # host:container
  env     = { LOG_LEVEL = "info" }
  # secret_env = { DB_PASSWORD = env("DB_PASSWORD") }

  healthcheck {
    http     = { path = "/up", port = 8080 } # polled by berth through SSH
    # cmd    = ["/app", "check"]             # or a command in the container (a list: no shell)
    interval = "1s"
    deadline = "30s"
  }
}

# role "worker" {
#   hosts = [host.web1]
#   cmd   = ["/app", "work"]
# }

# An accessory is pinned to its own image and left alone by app deploys.
# accessory "db" {
#   image   = "postgres:16"
#   host    = host.web1
#   volumes = ["db-data:/var/lib/postgresql/data"]
# }

deploy {
  version     = var.version
  retain      = 3     # old stopped containers kept per role and host, for berth rollback
  # parallelism = 10
  # rolling { batch = 2 }
  # on_failure = "rollback"
}
`))
