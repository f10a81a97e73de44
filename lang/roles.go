package lang

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Defaults applied when the configuration says nothing.
const (
	defaultConnectTimeout = 10 * time.Second
	defaultCommandTimeout = 5 * time.Minute
	defaultParallelism    = 10
	defaultRetain         = 3
	defaultStopTimeout    = 10 * time.Second
	defaultReadiness      = 3 * time.Second
	defaultBarrierTimeout = 5 * time.Minute
	defaultHCInterval     = ProbeInterval
	defaultHCRetries      = 3
	defaultHCDeadline     = 30 * time.Second
)

// container is what roles and accessories share.
type container struct {
	Cmd       []string
	Ports     []Port
	Env       map[string]string
	SecretEnv map[string]Secret
	Volumes   []string
	Labels    map[string]string
	Stop      Stop
	Options   RunOptions
	Health    *Healthcheck
}

// decodeContainer reads what roles and accessories share: attributes and
// the healthcheck and logging blocks.
func (l *loader) decodeContainer(at hcl.Attributes, blocks hcl.Blocks) container {
	c := l.decodeContainerAttrs(at)
	l.mergeEnvFile(&c, l.decodeEnvFile(at["env_file"]))
	c.Options = l.decodeOptions(at)
	if hcs := l.single(blocksOfType(blocks, "healthcheck")); len(hcs) == 1 {
		c.Health = l.decodeHealthcheck(hcs[0])
	}
	if lgs := l.single(blocksOfType(blocks, "logging")); len(lgs) == 1 {
		c.Options.Logging = l.decodeLogging(lgs[0])
	}
	return c
}

func (l *loader) decodeContainerAttrs(at hcl.Attributes) container {
	var c container
	c.Stop = l.decodeStop(at)
	if els, ok := l.strList(at["cmd"]); ok {
		c.Cmd = []string{}
		for _, e := range els {
			c.Cmd = append(c.Cmd, e.val.AsString())
		}
		if len(c.Cmd) == 0 {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty command",
				Detail: "cmd is a non-empty list such as [\"/app\", \"serve\"]; leave it out to run the image's own command.", Subject: at["cmd"].Expr.Range().Ptr()})
		}
	}
	c.Ports = l.decodePorts(at["ports"])
	c.Env, c.SecretEnv = l.decodeEnv(at["env"], at["secret_env"])
	if els, ok := l.strList(at["volumes"]); ok {
		for _, e := range els {
			if err := checkVolume(e.val.AsString()); err != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid volume",
					Detail: fmt.Sprintf("%q: %s.", e.val.AsString(), err), Subject: e.expr.Range().Ptr()})
				continue
			}
			c.Volumes = append(c.Volumes, e.val.AsString())
		}
	}
	if els, ok := l.strMap(at["labels"], false); ok {
		c.Labels = map[string]string{}
		for _, e := range els {
			if strings.HasPrefix(e.key, "berth.") || e.key == "" {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reserved label",
					Detail: fmt.Sprintf("The label %q is empty or in the berth. namespace, which berth sets itself.", e.key), Subject: e.expr.Range().Ptr()})
				continue
			}
			c.Labels[e.key] = e.val.AsString()
		}
	}
	return c
}

// decodeStop reads stop_signal and stop_timeout.
func (l *loader) decodeStop(at hcl.Attributes) Stop {
	var st Stop
	if v, ok := l.str(at["stop_signal"]); ok {
		if sig, err := normalizeSignal(v); err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid stop signal",
				Detail: err.Error(), Subject: at["stop_signal"].Expr.Range().Ptr()})
		} else {
			st.Signal = sig
		}
	}
	if v, ok := l.duration(at["stop_timeout"]); ok {
		st.Timeout = v
	}
	return st
}

// decodePorts reads the published ports; a host port published twice is
// an error at the second.
func (l *loader) decodePorts(a *hcl.Attribute) []Port {
	els, ok := l.strList(a)
	if !ok {
		return nil
	}
	var ports []Port
	seen := map[string]bool{}
	for _, e := range els {
		p, err := parsePort(e.val.AsString())
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid port mapping",
				Detail: fmt.Sprintf("%q: %s.", e.val.AsString(), err), Subject: e.expr.Range().Ptr()})
			continue
		}
		key := fmt.Sprintf("%s:%d/%s", p.HostIP, p.HostPort, p.Protocol)
		if seen[key] {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate port mapping",
				Detail: fmt.Sprintf("The host port %d/%s is published twice.", p.HostPort, p.Protocol), Subject: e.expr.Range().Ptr()})
			continue
		}
		seen[key] = true
		ports = append(ports, p)
	}
	return ports
}

// decodeEnv reads env and secret_env; a name in both is an error.
func (l *loader) decodeEnv(plain, secret *hcl.Attribute) (map[string]string, map[string]Secret) {
	var env map[string]string
	var secrets map[string]Secret
	if els, ok := l.strMap(plain, false); ok {
		env = map[string]string{}
		for _, e := range els {
			if l.checkEnvName(e) {
				env[e.key] = e.val.AsString()
			}
		}
	}
	if els, ok := l.strMap(secret, true); ok {
		secrets = map[string]Secret{}
		for _, e := range els {
			if !l.checkEnvName(e) {
				continue
			}
			if _, dup := env[e.key]; dup {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate environment variable",
					Detail: fmt.Sprintf("%s is set in both env and secret_env.", e.key), Subject: e.expr.Range().Ptr()})
				continue
			}
			secrets[e.key] = l.newSecret(e.expr, e.val)
		}
	}
	return env, secrets
}

func (l *loader) checkEnvName(e elem) bool {
	if envNameRe.MatchString(e.key) {
		return true
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid environment variable name",
		Detail: fmt.Sprintf("%q is not a valid environment variable name (letters, digits and '_', not starting with a digit).", e.key), Subject: e.expr.Range().Ptr()})
	return false
}

func (l *loader) decodeRole(b *hcl.Block) Role {
	r := Role{Name: b.Labels[0]}
	l.checkName(b, "role")
	l.checkRoleName(b)
	content, diags := b.Body.Content(roleSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	r.Primary, _ = l.boolean(at["primary"])
	if a := at["primary"]; a != nil {
		l.primaryRanges[r.Name] = a.Expr.Range()
	}
	if a := at["hosts"]; a == nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Role with no hosts",
			Detail: fmt.Sprintf("The role %q needs hosts = [host.NAME, ...].", r.Name), Subject: b.DefRange.Ptr()})
	} else {
		r.Hosts = l.hostList(a, "role "+r.Name)
	}
	c := l.decodeContainer(at, content.Blocks)
	r.Cmd, r.Ports, r.Env, r.SecretEnv, r.Volumes, r.Labels, r.Stop = c.Cmd, c.Ports, c.Env, c.SecretEnv, c.Volumes, c.Labels, c.Stop
	r.Options, r.Healthcheck = c.Options, c.Health
	r.DependsOn = l.dependsOn(r.Name, at["depends_on"])
	if ps := l.single(blocksOfType(content.Blocks, "proxy")); len(ps) == 1 {
		r.Proxy = l.decodeRoleProxy(ps[0])
		l.checkProxiedPorts(&r, at)
	}
	return r
}

// hostList reads `hosts = [host.a, host.b]` by inspecting the references.
func (l *loader) hostList(a *hcl.Attribute, owner string) []string {
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid hosts",
			Detail: "hosts is a list of host references such as [host.h1, host.h2].", Subject: a.Expr.Range().Ptr()})
		return nil
	}
	if len(exprs) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Role with no hosts",
			Detail: fmt.Sprintf("The list of hosts of %s is empty.", owner), Subject: a.Expr.Range().Ptr()})
		return nil
	}
	names := []string{}
	seen := map[string]bool{}
	for _, e := range exprs {
		name, ok := l.hostRef(e)
		if !ok {
			continue
		}
		if seen[name] {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate host",
				Detail: fmt.Sprintf("host.%s is listed twice in %s.", name, owner), Subject: e.Range().Ptr()})
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	return names
}

// hostRef reads one `host.NAME` reference.
func (l *loader) hostRef(e hcl.Expression) (string, bool) {
	t, diags := hcl.AbsTraversalForExpr(e)
	name, ok := traversalAttr(t, 1)
	if diags.HasErrors() || t.RootName() != "host" || len(t) != 2 || !ok {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid host reference",
			Detail: "A host is referred to as host.NAME, where NAME is the label of a host block.", Subject: e.Range().Ptr()})
		return "", false
	}
	if d := l.checkRef(t); d.HasErrors() {
		l.diags = append(l.diags, d...)
		return "", false
	}
	return name, true
}

// pinnedImage reads an image reference that must carry a tag or digest;
// "" after a diagnostic (or when attr is absent).
func (l *loader) pinnedImage(attr *hcl.Attribute, what, exampleTag string) string {
	s, ok := l.str(attr)
	if !ok {
		return ""
	}
	ref, err := parseImage(s)
	switch {
	case err != nil:
		l.diags = append(l.diags, imageDiag(attr, err.Error()))
	case ref.Tag == "" && ref.Digest == "":
		l.diags = append(l.diags, imageDiag(attr, fmt.Sprintf("%s is pinned with a tag or digest, e.g. %q.", what, s+exampleTag)))
	default:
		return s
	}
	return ""
}

func (l *loader) decodeAccessory(b *hcl.Block) Accessory {
	acc := Accessory{Name: b.Labels[0]}
	l.checkName(b, "accessory")
	content, diags := b.Body.Content(accessorySchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	acc.Image = l.pinnedImage(at["image"], "An accessory image", ":1")
	switch {
	case at["host"] != nil && at["hosts"] != nil:
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting host and hosts",
			Detail: "An accessory has either host = host.NAME or hosts = [...], not both.", Subject: at["hosts"].NameRange.Ptr()})
	case at["host"] != nil:
		if name, ok := l.hostRef(at["host"].Expr); ok {
			acc.Hosts = []string{name}
		}
	case at["hosts"] != nil:
		acc.Hosts = l.hostList(at["hosts"], "accessory "+acc.Name)
	default:
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Accessory with no host",
			Detail: fmt.Sprintf("The accessory %q needs host = host.NAME or hosts = [...].", acc.Name), Subject: b.DefRange.Ptr()})
	}
	c := l.decodeContainer(at, content.Blocks)
	acc.Cmd, acc.Ports, acc.Env, acc.SecretEnv, acc.Volumes, acc.Labels, acc.Stop = c.Cmd, c.Ports, c.Env, c.SecretEnv, c.Volumes, c.Labels, c.Stop
	acc.Options, acc.Healthcheck = c.Options, c.Health
	if ps := l.single(blocksOfType(content.Blocks, "proxy")); len(ps) == 1 {
		acc.Proxy = l.decodeRoleProxy(ps[0])
		l.checkProxiedAccessoryPorts(&acc, at)
	}
	return acc
}
