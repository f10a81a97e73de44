package lang

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// DefaultLocalRegistryPort is the loopback port of `registry { local = true }`,
// on the build machine and, forwarded over SSH, on every host.
const DefaultLocalRegistryPort = 5555

// decodeLocal reads `registry { local = true [port = N] }` into r and
// reports whether the block is a local one. A local registry has no
// server and no credentials: it listens on the loopback only.
func (l *loader) decodeLocal(b *hcl.Block, at hcl.Attributes, r *Registry) bool {
	local, _ := l.boolean(at["local"])
	if !local {
		if at["port"] != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Port of a registry that is not local",
				Detail: "registry.port is the loopback port of `local = true`; a remote registry's port is part of its server.", Subject: at["port"].NameRange.Ptr()})
		}
		if at["server"] == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing registry server",
				Detail: "The registry block needs a server (e.g. \"10.77.0.1:5000\"), or `local = true` for a registry berth runs next to the builder.", Subject: b.DefRange.Ptr()})
		}
		return false
	}
	for _, name := range []string{"server", "username", "password", "insecure"} {
		if a := at[name]; a != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting registry settings",
				Detail:  fmt.Sprintf("A local registry (local = true) listens on 127.0.0.1 of the build machine and of each host, over SSH; it has no %s.", name),
				Subject: a.NameRange.Ptr()})
		}
	}
	r.Local, r.Insecure, r.Port = true, true, DefaultLocalRegistryPort
	if a := at["port"]; a != nil {
		if p, ok := l.integer(a, 1024, 65535); ok {
			r.Port = p
		}
	}
	r.Server = "127.0.0.1:" + strconv.Itoa(r.Port)
	return true
}

// applyLocalRegistry moves the service image to the local registry: its
// path under 127.0.0.1:PORT ("10.77.0.1:5000/shop" is served as
// "127.0.0.1:5555/shop"). A local registry needs a build block: nothing
// else would fill it.
func (l *loader) applyLocalRegistry(cfg *Config, blocks []*hcl.Block) {
	r := cfg.Registry
	if r == nil || !r.Local || len(blocks) == 0 {
		return
	}
	if cfg.Service.Build == nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Local registry without a build",
			Detail: "A local registry (local = true) holds the images berth builds: give the service a build block.", Subject: blocks[0].DefRange.Ptr()})
		return
	}
	if cfg.Service.Image != "" {
		cfg.Service.Image = r.Server + "/" + imagePath(cfg.Service.Image)
	}
}

// imagePath is a repository without its registry host: "10.77.0.1:5000/shop"
// gives "shop".
func imagePath(repo string) string {
	i := strings.IndexByte(repo, '/')
	if i < 0 {
		return repo
	}
	if first := repo[:i]; strings.ContainsAny(first, ".:") || first == "localhost" {
		return repo[i+1:]
	}
	return repo
}
