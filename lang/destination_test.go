package lang

import (
	"context"
	"strings"
	"testing"
)

const destBase = `
service "shop" {
  image               = "10.77.0.1:5000/shop"
  require_destination = true
}
variable "version" { default = "v1" }
locals {
  level = "info"
  name  = "base"
}
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  env   = { LOG_LEVEL = local.level, NAME = local.name, KEEP = "yes" }
  ports = ["80:8080"]
  healthcheck {
    cmd      = ["/app", "check"]
    deadline = "30s"
  }
}
deploy {
  retain = 5
  rolling { batch = 1 }
}
`

const destStaging = `
locals { level = "debug" }
variable "version" { default = "v9" }
host "s1" { address = "10.77.0.21" }
host "s2" {
  address = "10.77.0.22"
  user    = "deploy"
}
role "web" {
  hosts = [host.s1, host.s2]
  healthcheck { http = { path = "/up", port = 8080 } }
}
`

// TestDestinationOverrides: an override file's block replaces the same
// block's attributes and nested blocks of a type it has, adds blocks the
// base lacks, and its locals and variables win.
func TestDestinationOverrides(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"dotted file": {"berth.hcl": destBase, "hosts.staging.hcl": destStaging, "hosts.production.hcl": "host \"p1\" {}"},
		"directory":   {"berth.hcl": destBase, "staging/hosts.hcl": destStaging, "production/x.hcl": "!"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, src := range files {
				writeFile(t, dir, n, src)
			}
			cfg := loadNoErrors(t, Options{Dir: dir, Destination: "staging"}) // h1 is unused in staging: a warning
			web := cfg.Roles[0]
			if got := strings.Join(web.Hosts, ","); got != "s1,s2" {
				t.Errorf("web hosts = %s", got)
			}
			if web.Env["LOG_LEVEL"] != "debug" || web.Env["NAME"] != "base" || web.Env["KEEP"] != "yes" || len(web.Ports) != 1 {
				t.Errorf("web env %v ports %v", web.Env, web.Ports)
			}
			if hc := web.Healthcheck; hc == nil || hc.HTTP == nil || hc.Cmd != nil || hc.Deadline != defaultHCDeadline {
				t.Errorf("healthcheck = %+v: the override's block replaces the base's", hc)
			}
			if cfg.Version.Full != "v9" || cfg.Deploy.Retain != 5 || cfg.Deploy.Batch != 1 {
				t.Errorf("version %s retain %d batch %d", cfg.Version.Full, cfg.Deploy.Retain, cfg.Deploy.Batch)
			}
			if len(cfg.Hosts) != 3 || cfg.Host("s2").User != "deploy" {
				t.Errorf("hosts = %+v", cfg.Hosts)
			}
			if cfg.Destination != "staging" || cfg.StateName() != "shop@staging" {
				t.Errorf("destination %q, state name %q", cfg.Destination, cfg.StateName())
			}
		})
	}
}

// TestDestinationRequired: require_destination refuses a plain run at the
// attribute and names the destinations there are; an unknown destination
// is an error too.
func TestDestinationRequired(t *testing.T) {
	dir := writeConfig(t, map[string]string{"berth.hcl": destBase, "web.staging.hcl": destStaging})
	writeFile(t, dir, "production/hosts.hcl", destStaging)
	for _, validate := range []bool{false, true} {
		res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Validate: validate})
		msg := res.Diags.Error()
		if !strings.Contains(msg, "A destination is required") || !strings.Contains(msg, "berth.hcl:4,") ||
			!strings.Contains(msg, "Destinations with files: production, staging.") {
			t.Errorf("validate=%v: %s", validate, msg)
		}
	}
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Destination: "prod"})
	if msg := res.Diags.Error(); !strings.Contains(msg, "No configuration for destination prod") || !strings.Contains(msg, "production, staging") {
		t.Errorf("unknown destination: %s", msg)
	}
	res = Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Destination: "../x"})
	if !strings.Contains(res.Diags.Error(), "Invalid destination") {
		t.Errorf("bad name: %s", res.Diags.Error())
	}
	// Without require_destination the base runs alone, without the override files.
	plain := writeConfig(t, map[string]string{"berth.hcl": strings.Replace(destBase, "require_destination = true", "", 1), "web.staging.hcl": destStaging})
	cfg := loadValid(t, Options{Dir: plain})
	if len(cfg.Hosts) != 1 || cfg.Destination != "" || cfg.StateName() != "shop" {
		t.Errorf("plain run: hosts %+v, state name %q", cfg.Hosts, cfg.StateName())
	}
	if staged := loadNoErrors(t, Options{Dir: plain, Destination: "staging"}); staged.Hash == cfg.Hash {
		t.Error("the destination's hash is the base's")
	}
}

func loadNoErrors(t *testing.T, opts Options) *Config {
	t.Helper()
	opts.Environ = testEnviron
	res := Load(context.Background(), opts)
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Error())
	}
	return res.Config
}
