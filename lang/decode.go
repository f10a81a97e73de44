package lang

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// load runs the whole pipeline: parse, declare, evaluate variables and
// locals, decode every block, validate across blocks, version and hash.
func (l *loader) load() *Config {
	l.readFiles()
	if len(l.bodies) == 0 || l.diags.HasErrors() {
		return nil // after a syntax error, anything else would be noise
	}
	blocks := map[string][]*hcl.Block{}
	for _, f := range l.bodies {
		content, diags := f.Body.Content(rootSchema)
		l.diags = append(l.diags, diags...)
		for _, b := range content.Blocks {
			blocks[b.Type] = append(blocks[b.Type], b)
		}
	}
	l.applyOverrides(blocks)
	for _, t := range []string{"service", "registry", "ssh", "deploy", "proxy"} {
		blocks[t] = l.single(blocks[t])
	}
	for _, t := range []string{"variable", "host", "role", "accessory", "alias"} {
		blocks[t] = l.unique(blocks[t])
	}
	l.declare(blocks)

	vars := l.decodeVariables(blocks["variable"])
	l.evalCtx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": varObject(vars)},
		Functions: l.functions(),
	}
	l.checkValidations(vars)
	l.decodeLocals(blocks["locals"])

	cfg := &Config{Dir: l.opts.Dir, Files: l.files}
	l.decodeService(blocks["service"], cfg)
	cfg.Registry = l.decodeRegistry(blocks["registry"])
	l.applyLocalRegistry(cfg, blocks["registry"])
	var sshSet sshExplicit
	cfg.SSH, sshSet = l.decodeSSH(blocks["ssh"])
	cfg.Hosts = l.decodeHosts(blocks["host"])
	l.applySSHConfig(l.openSSHConfig(sshSet), sshSet, cfg.Hosts, blocks["host"])
	for _, b := range blocks["role"] {
		cfg.Roles = append(cfg.Roles, l.decodeRole(b))
	}
	for _, b := range blocks["accessory"] {
		cfg.Accessories = append(cfg.Accessories, l.decodeAccessory(b))
	}
	l.checkDepends(cfg)
	versionAttr := l.decodeDeploy(blocks["deploy"], &cfg.Deploy)
	cfg.Proxy = l.decodeProxy(blocks["proxy"], cfg.Proxied(""))
	cfg.Aliases = l.decodeAliases(blocks["alias"])
	applyStopDefaults(cfg)
	l.orderRoles(cfg, blocks)
	l.checkNames(blocks)
	l.checkUnusedHosts(cfg, blocks["host"])
	l.checkRegistry(cfg)
	cfg.Version = l.version(versionAttr, vars, blocks)
	cfg.Variables = l.variables(vars, cfg.Service.Name)
	cfg.Hash = l.hash(cfg)
	return cfg
}

// single keeps the first of blocks that may appear only once.
func (l *loader) single(blocks []*hcl.Block) []*hcl.Block {
	if len(blocks) <= 1 {
		return blocks
	}
	for _, b := range blocks[1:] {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate " + b.Type + " block",
			Detail:   fmt.Sprintf("Only one %s block is allowed; the first is at %s.", b.Type, blocks[0].DefRange.String()),
			Subject:  b.DefRange.Ptr(),
		})
	}
	return blocks[:1]
}

// unique keeps the first block of each name.
func (l *loader) unique(blocks []*hcl.Block) []*hcl.Block {
	seen := map[string]*hcl.Block{}
	var out []*hcl.Block
	for _, b := range blocks {
		name := b.Labels[0]
		if first := seen[name]; first != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate " + b.Type + " block",
				Detail:   fmt.Sprintf("A %s named %q is already declared at %s.", b.Type, name, first.DefRange.String()),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		seen[name] = b
		out = append(out, b)
	}
	return out
}

// declare records the names expressions may refer to.
func (l *loader) declare(blocks map[string][]*hcl.Block) {
	l.scope = scope{vars: map[string]bool{}, locals: map[string]bool{}, hosts: map[string]bool{}}
	for _, b := range blocks["variable"] {
		l.scope.vars[b.Labels[0]] = true
	}
	for _, b := range blocks["host"] {
		l.scope.hosts[b.Labels[0]] = true
	}
	// locals are declared by decodeLocals.
}

// decodeLocals evaluates every local value in dependency order.
func (l *loader) decodeLocals(blocks []*hcl.Block) {
	attrs := map[string]*hcl.Attribute{}
	var names []string
	for _, b := range blocks {
		as, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		sorted := make([]*hcl.Attribute, 0, len(as))
		for _, a := range as {
			sorted = append(sorted, a)
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
		for _, a := range sorted {
			if first := attrs[a.Name]; first != nil && l.overrideLocals[b] {
				attrs[a.Name] = a // a destination's override replaces the value
				continue
			}
			if first := attrs[a.Name]; first != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate local value",
					Detail: fmt.Sprintf("The local value %q is already defined at %s.", a.Name, first.NameRange.String()), Subject: a.NameRange.Ptr()})
				continue
			}
			attrs[a.Name] = a
			names = append(names, a.Name)
			l.scope.locals[a.Name] = true
		}
	}
	values := map[string]cty.Value{}
	l.evalCtx.Variables["local"] = cty.EmptyObjectVal
	pending := names
	for len(pending) > 0 {
		var next []string
		for _, n := range pending {
			if !l.depsReady(attrs[n].Expr, values) {
				next = append(next, n)
				continue
			}
			v, diags := l.eval(attrs[n].Expr)
			l.diags = append(l.diags, diags...)
			values[n] = v
			l.evalCtx.Variables["local"] = cty.ObjectVal(values)
		}
		if len(next) == len(pending) {
			for _, n := range next {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cycle in local values",
					Detail: fmt.Sprintf("The local value %q depends on itself, directly or through other local values.", n), Subject: attrs[n].Expr.Range().Ptr()})
				values[n] = cty.DynamicVal
			}
			l.evalCtx.Variables["local"] = cty.ObjectVal(values)
			break
		}
		pending = next
	}
}

func (l *loader) depsReady(expr hcl.Expression, values map[string]cty.Value) bool {
	for _, t := range expr.Variables() {
		if t.RootName() != "local" {
			continue
		}
		name, ok := traversalAttr(t, 1)
		if !ok || !l.scope.locals[name] {
			continue // eval reports it
		}
		if _, done := values[name]; !done {
			return false
		}
	}
	return true
}

func (l *loader) decodeService(blocks []*hcl.Block, cfg *Config) {
	if len(blocks) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing service block",
			Detail:  `A configuration needs one service block, e.g. service "shop" { image = "registry.example.com/shop" }.`,
			Subject: l.firstFileRange()})
		return
	}
	b := blocks[0]
	cfg.Service.Name = b.Labels[0]
	cfg.Destination = l.opts.Destination
	l.checkName(b, "service")
	content, diags := b.Body.Content(serviceSchema)
	l.diags = append(l.diags, diags...)
	l.checkDestination(content.Attributes["require_destination"])
	l.decodeNetwork(content.Attributes["network"], cfg)
	cfg.Service.Takeover = l.decodeTakeover(content.Blocks, cfg.Service.Name)
	cfg.Service.Build = l.decodeBuild(content.Blocks.OfType("build"))
	if cfg.Service.Build != nil && cfg.Service.Build.Context != "" {
		l.gitDir = cfg.Service.Build.Context
	}
	a := content.Attributes["image"]
	s, ok := l.str(a)
	if !ok {
		return
	}
	ref, err := parseImage(s)
	switch {
	case err != nil:
		l.diags = append(l.diags, imageDiag(a, err.Error()))
	case ref.Tag != "" || ref.Digest != "":
		l.diags = append(l.diags, imageDiag(a, fmt.Sprintf("The service image is a repository without a tag or digest: the tag is the version (deploy.version, var.version or git HEAD). Write %q.", ref.Repository)))
	default:
		cfg.Service.Image = ref.Repository
	}
	l.serviceImage = a
}

// checkRegistry warns when the service image is not on the configured registry.
func (l *loader) checkRegistry(cfg *Config) {
	if cfg.Registry == nil || cfg.Registry.Local || cfg.Registry.Server == "" || cfg.Service.Image == "" || l.serviceImage == nil {
		return
	}
	if !strings.HasPrefix(cfg.Service.Image, cfg.Registry.Server+"/") {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Image not on the registry",
			Detail:  fmt.Sprintf("The service image %q is not on the registry %q, so the registry credentials will not be used for it.", cfg.Service.Image, cfg.Registry.Server),
			Subject: l.serviceImage.Expr.Range().Ptr()})
	}
}

func imageDiag(a *hcl.Attribute, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid image reference", Detail: detail, Subject: a.Expr.Range().Ptr()}
}

func (l *loader) firstFileRange() *hcl.Range {
	if len(l.files) == 0 {
		return nil
	}
	return &hcl.Range{Filename: l.files[0], Start: hcl.InitialPos, End: hcl.InitialPos}
}

// checkName checks the label of a block whose name ends up in container names.
func (l *loader) checkName(b *hcl.Block, what string) {
	if !nameRe.MatchString(b.Labels[0]) || len(b.Labels[0]) > 64 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + what + " name",
			Detail:  fmt.Sprintf("A %s name is used in container names: letters, digits, '_', '.' and '-', starting with a letter or digit, at most 64 characters.", what),
			Subject: b.LabelRanges[0].Ptr()})
	}
}

func (l *loader) decodeRegistry(blocks []*hcl.Block) *Registry {
	if len(blocks) == 0 {
		return nil
	}
	content, diags := blocks[0].Body.Content(registrySchema)
	l.diags = append(l.diags, diags...)
	r := &Registry{}
	if l.decodeLocal(blocks[0], content.Attributes, r) {
		return r
	}
	r.Server, _ = l.str(content.Attributes["server"])
	if a := content.Attributes["server"]; a != nil && r.Server != "" && !domainRe.MatchString(r.Server) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid registry server",
			Detail: "The registry server is a host name or address with an optional port, e.g. \"10.77.0.1:5000\".", Subject: a.Expr.Range().Ptr()})
	}
	r.Username, _ = l.str(content.Attributes["username"])
	r.Password, _ = l.secret(content.Attributes["password"])
	r.Insecure, _ = l.boolean(content.Attributes["insecure"])
	return r
}

func (l *loader) decodeSSH(blocks []*hcl.Block) (SSH, sshExplicit) {
	home := l.env["HOME"]
	s := SSH{User: "root", Port: 22, KnownHosts: expandHome("~/.ssh/known_hosts", home), HostKeyPolicy: "strict",
		ConnectTimeout: defaultConnectTimeout, CommandTimeout: defaultCommandTimeout}
	var ex sshExplicit
	if len(blocks) == 0 {
		return s, ex
	}
	content, diags := blocks[0].Body.Content(sshSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	ex.block, ex.config = blocks[0], at["config"]
	ex.user, ex.port, ex.identity = at["user"] != nil, at["port"] != nil, at["identity"] != nil
	ex.knownHosts, ex.proxyJump = at["known_hosts"] != nil, at["proxy_jump"] != nil
	if v, ok := l.str(at["user"]); ok {
		s.User = v
	}
	if v, ok := l.integer(at["port"], 1, 65535); ok {
		s.Port = v
	}
	if v, ok := l.str(at["identity"]); ok {
		s.Identity = expandHome(v, home)
	}
	if v, ok := l.str(at["known_hosts"]); ok {
		s.KnownHosts = expandHome(v, home)
	}
	if v, ok := l.str(at["known_hosts_policy"]); ok {
		if v != "strict" && v != "accept-new" {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid known_hosts_policy",
				Detail:  `known_hosts_policy is "strict" (the default: every host key must already be in known_hosts) or "accept-new" (record the key of a host seen for the first time).`,
				Subject: at["known_hosts_policy"].Expr.Range().Ptr()})
		} else {
			s.HostKeyPolicy = v
		}
	}
	if v, ok := l.str(at["proxy_jump"]); ok {
		s.ProxyJump = v
	}
	if v, ok := l.duration(at["connect_timeout"]); ok {
		s.ConnectTimeout = v
	}
	if v, ok := l.duration(at["command_timeout"]); ok {
		s.CommandTimeout = v
	}
	return s, ex
}

func (l *loader) decodeHosts(blocks []*hcl.Block) []Host {
	var hosts []Host
	objs := map[string]cty.Value{}
	addrs := map[string]string{}
	for _, b := range blocks {
		h := Host{Name: b.Labels[0]}
		if !hclsyntax.ValidIdentifier(h.Name) {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid host name",
				Detail: "A host name is referred to as host.NAME: letters, digits, '_' and '-', starting with a letter.", Subject: b.LabelRanges[0].Ptr()})
		}
		content, diags := b.Body.Content(hostSchema)
		l.diags = append(l.diags, diags...)
		addr := cty.UnknownVal(cty.String)
		if v, ok := l.str(content.Attributes["address"]); ok {
			if v == "" || len(v) > 253 || !domainRe.MatchString(v) && net.ParseIP(v) == nil {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid host address",
					Detail: fmt.Sprintf("%q is not an IP address or a host name.", v), Subject: content.Attributes["address"].Expr.Range().Ptr()})
			}
			h.Address = v
			addr = cty.StringVal(v)
		}
		h.User, _ = l.str(content.Attributes["user"])
		h.Port, _ = l.integer(content.Attributes["port"], 1, 65535)
		if h.Address != "" {
			key := fmt.Sprintf("%s:%d", h.Address, h.Port)
			if other, dup := addrs[key]; dup {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate host address",
					Detail:  fmt.Sprintf("The hosts %q and %q have the same address; each host block is one machine.", other, h.Name),
					Subject: content.Attributes["address"].Expr.Range().Ptr()})
			}
			addrs[key] = h.Name
		}
		hosts = append(hosts, h)
		objs[h.Name] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(h.Name), "address": addr})
	}
	l.evalCtx.Variables["host"] = cty.ObjectVal(objs)
	return hosts
}
