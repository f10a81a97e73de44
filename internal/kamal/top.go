package kamal

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// registry writes the registry block and returns the service's image
// repository with the registry's server in front, as Kamal makes it.
func (c *conv) registry(body *hclwrite.Body, root *obj, image string) string {
	reg := root.sub("registry")
	if reg == nil {
		return image
	}
	b := body.AppendNewBlock("registry", nil).Body()
	server, ok := reg.text("server")
	if !ok {
		server = "docker.io"
		comment(b, "kamal: no registry.server: Docker Hub")
	}
	attr(b, "server", c.str(server))
	if u := reg.get("username"); u != nil {
		if s, ok := scalar(u); ok && u.Kind == yaml.ScalarNode {
			attr(b, "username", c.str(s))
		} else if names := stringList(u); len(names) > 0 {
			c.vars = append(c.vars, extraVar{name: "registry_username", doc: "The registry user name, a secret of Kamal's (" + names[0] + "); set BERTH_VAR_registry_username."})
			attr(b, "username", "var.registry_username")
		}
	}
	if p := reg.get("password"); p != nil {
		name := "KAMAL_REGISTRY_PASSWORD"
		if names := stringList(p); p.Kind == yaml.SequenceNode && len(names) > 0 {
			name = names[0]
		} else if s, _ := scalar(p); c.erbs.has(s) {
			name = s
		} else {
			c.warn(p, "registry.password", "a password written in deploy.yml is not copied: berth reads it from $KAMAL_REGISTRY_PASSWORD")
		}
		attr(b, "password", c.secret(name))
	}
	c.rest(b, reg, nil)
	if strings.HasPrefix(image, server+"/") {
		return image
	}
	return server + "/" + image
}

// ssh writes the ssh block.
func (c *conv) ssh(body *hclwrite.Body, root *obj) {
	c.sshUser = "root"
	s := root.sub("ssh")
	if s == nil {
		return
	}
	b := body.AppendNewBlock("ssh", nil).Body()
	if u, ok := s.text("user"); ok {
		c.sshUser = u
		attr(b, "user", c.str(u))
	}
	if p := s.get("port"); p != nil {
		attr(b, "port", c.value(p))
	}
	if p, ok := s.text("proxy"); ok {
		attr(b, "proxy_jump", c.str(p))
	}
	if k := s.get("keys"); k != nil {
		keys := stringList(k)
		if len(keys) > 0 {
			attr(b, "identity", c.appPath(keys[0]))
		}
		if len(keys) > 1 {
			c.unmapped(b, keyNode(s, "keys"), k, "ssh.keys", "berth takes one identity file (the first) plus the ssh-agent; add the others to the agent")
		}
	}
	if v, ok := s.text("config"); ok {
		switch v {
		case "true":
		case "false":
			attr(b, "config", "false")
		default:
			attr(b, "config", c.appPath(v))
		}
	}
	c.rest(b, s, map[string]string{
		"proxy_command": "berth connects through proxy_jump only",
		"key_data":      "berth reads keys from files and the ssh-agent: add the key to the agent",
		"keys_only":     "berth uses the identity and the ssh-agent",
		"log_level":     "use BERTH_LOG=debug",
		"dns_retries":   "berth retries a dial within ssh.connect_timeout",
	})
}

// keyNode is the key node of key in o (for its line).
func keyNode(o *obj, key string) *yaml.Node {
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		if o.n.Content[i].Value == key {
			return o.n.Content[i]
		}
	}
	return o.n
}

// seconds is a Kamal duration (whole seconds) as a Go duration string.
func seconds(s string) (string, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsNaN(f) || f > 1e9 {
		return "", false
	}
	if f == math.Trunc(f) {
		return strconv.Itoa(int(f)) + "s", true
	}
	return strconv.Itoa(int(f*1000)) + "ms", true
}

// deploy writes the deploy block: retain_containers, readiness_delay,
// drain_timeout (the stop timeout of roles without the proxy) and
// boot.limit.
func (c *conv) deploy(body *hclwrite.Body, root *obj) {
	blk := hclwrite.NewBlock("deploy", nil)
	b := blk.Body()
	n := c.deployTimes(b, root)
	if boot := root.sub("boot"); boot != nil {
		if v := boot.get("limit"); v != nil {
			s, _ := scalar(v)
			if batch, ok := c.batch(s); ok {
				if strings.HasSuffix(s, "%") {
					comment(b, fmt.Sprintf("kamal: boot.limit %s of the largest role's hosts", s))
				}
				attr(b.AppendNewBlock("rolling", nil).Body(), "batch", strconv.Itoa(batch))
				n++
			} else {
				c.unmapped(b, keyNode(boot, "limit"), v, "boot.limit", "not a number of hosts or a percentage")
			}
		}
		c.rest(b, boot, map[string]string{"wait": "berth starts the next batch once the previous one is healthy, without a fixed wait"})
		n++
	}
	if v := root.get("deploy_timeout"); v != nil && !c.proxied {
		c.unmapped(b, keyNode(root, "deploy_timeout"), v, "deploy_timeout", "no role is proxied; berth waits each role's healthcheck.deadline (default 30s)")
		n++
	}
	if n > 0 {
		body.AppendBlock(blk)
	}
}

// deployTimes writes retain_containers, readiness_delay and drain_timeout
// into the deploy block b, reporting a value that is not a number, and
// returns how many keys it wrote or reported.
func (c *conv) deployTimes(b *hclwrite.Body, root *obj) int {
	n := 0
	if v := root.get("retain_containers"); v != nil {
		n++
		if t, k := rubyScalar(v); k == rubyInteger && !strings.HasPrefix(t, "-") {
			attr(b, "retain", t)
		} else {
			c.unmapped(b, keyNode(root, "retain_containers"), v, "retain_containers", "not a number of containers")
		}
	}
	for _, k := range []string{"readiness_delay", "drain_timeout"} {
		v := root.get(k)
		if v == nil {
			continue
		}
		n++
		s, _ := scalar(v)
		d, ok := seconds(s)
		switch {
		case !ok:
			c.unmapped(b, keyNode(root, k), v, k, "not a number of seconds")
		case k == "readiness_delay":
			attr(b, "readiness_delay", quote(d))
		default:
			comment(b, "kamal: drain_timeout: also each proxied role's proxy.drain_timeout")
			attr(b, "stop_timeout", quote(d))
		}
	}
	return n
}

// batch is boot.limit as a number of hosts.
func (c *conv) batch(s string) (int, bool) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		pct, err := strconv.ParseFloat(p, 64)
		if err != nil || pct <= 0 {
			return 0, false
		}
		most := 1
		for _, r := range c.roles {
			most = max(most, len(r.hosts))
		}
		return max(1, int(math.Ceil(float64(most)*pct/100))), true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// extraVar is a variable the output needs besides ERB's.
type extraVar struct{ name, doc string }

// variables writes a variable per ERB and per extra value to fill in
// that the HCL written uses: an ERB that became env() or sits in a key
// that is not imported needs no value.
func (c *conv) variables(body *hclwrite.Body) {
	done := map[string]bool{}
	if c.opts.VersionVariable {
		done["version"] = true
		comment(body, "Kamal deploys the git SHA (or kamal deploy --version); berth takes git HEAD in a git")
		comment(body, "repository, else this variable: berth plan --var version=TAG.")
		b := body.AppendNewBlock("variable", []string{"version"}).Body()
		attr(b, "type", "string")
		attr(b, "description", quote("The image tag to deploy."))
	}
	used := c.references()
	for _, e := range c.erbs.list {
		if done[e.varName] || !used[e.varName] {
			continue
		}
		done[e.varName] = true
		c.erbVariable(body, e)
	}
	for _, v := range c.vars {
		if done[v.name] || !used[v.name] {
			continue
		}
		done[v.name] = true
		b := body.AppendNewBlock("variable", []string{v.name}).Body()
		attr(b, "type", "string")
		attr(b, "description", quote(v.doc))
	}
	for _, code := range c.erbs.code {
		c.notes.add(&c.notes.warnings, Note{At: strings.SplitN(code, ": ", 2)[0], Key: "ERB code", Message: "not run (" + strings.SplitN(code, ": ", 2)[1] + "): check what it made of the lines around it"})
	}
}

// erbVariable writes the variable that stands for e, with a note.
func (c *conv) erbVariable(body *hclwrite.Body, e *erb) {
	c.notes.add(&c.notes.warnings, Note{At: e.at, Key: "<%= " + e.code + " %>", Message: "ERB is not evaluated: it is variable \"" + e.varName + "\"; give it a value (--var " + e.varName + "=..., BERTH_VAR_" + e.varName + ")"})
	comment(body, "ERB at "+e.at+": <%= "+e.code+" %>: berth cannot run Ruby; fill this in.")
	b := body.AppendNewBlock("variable", []string{e.varName}).Body()
	attr(b, "type", "string")
	if e.hasDef {
		attr(b, "default", quote(e.def))
	}
	if e.env != "" {
		attr(b, "description", quote("Kamal read $"+e.env+"; set BERTH_VAR_"+e.varName+"."))
	}
	if e.sensitive {
		attr(b, "sensitive", "true")
	}
}

// references are the names of the variables the sections written so far
// use (var.NAME).
func (c *conv) references() map[string]bool {
	refs := map[string]bool{}
	for _, f := range c.sections {
		toks := f.BuildTokens(nil)
		for i := 0; i+2 < len(toks); i++ {
			if toks[i].Type == hclsyntax.TokenIdent && string(toks[i].Bytes) == "var" &&
				toks[i+1].Type == hclsyntax.TokenDot && toks[i+2].Type == hclsyntax.TokenIdent {
				refs[string(toks[i+2].Bytes)] = true
			}
		}
	}
	return refs
}

// knownUnmapped say why the top-level keys berth has no feature for are
// not imported.
var knownUnmapped = map[string]string{
	"asset_path":        "berth does not bridge assets between versions",
	"hooks_path":        "berth's hooks are .berth/hooks (pre-plan, pre-apply, post-barrier, post-apply, post-failure): move the scripts",
	"error_pages_path":  "no role runs behind the proxy, where berth shows error pages",
	"secrets_path":      "berth reads secrets from the environment, secrets_file() or secret_cmd()",
	"minimum_version":   "a Kamal version check",
	"allow_empty_roles": "every berth role has hosts",
	"healthcheck":       "Kamal 1's healthcheck: use a role's healthcheck block or its proxy's health_path",
	"traefik":           "Kamal 1's Traefik: berth runs kamal-proxy",
	"sshkit":            "berth's SSH settings are in the ssh block",
	"run_directory":     "berth keeps its files in ~/.berth on the hosts",
	"logging":           "set logging { } per role",
	"stop_wait_time":    "use deploy.stop_timeout",
}

// leftovers notes the top-level keys nothing read.
func (c *conv) leftovers(body *hclwrite.Body, root *obj) {
	for _, k := range root.unread() {
		if strings.HasPrefix(k.Value, "x-") {
			root.used[k.Value] = true
			c.warn(k, k.Value, "an extension key for YAML anchors: ignored, as Kamal ignores it")
		}
	}
	c.rest(body, root, knownUnmapped)
}

// reserved reports whether name is one of berth's own commands.
func (c *conv) reserved(name string) bool { return slices.Contains(c.opts.Reserved, name) }
