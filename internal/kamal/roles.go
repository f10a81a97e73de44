package kamal

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// envSet is a Kamal env: clear values and the names of secrets.
type envSet struct {
	clear   [][2]string // key, value source
	secrets [][2]string // key, secret name (KEY or KEY:NAME)
}

// readEnv reads env: either a mapping of clear values, or clear/secret
// (and, at the top, tags, which the caller reads).
func (c *conv) readEnv(body *hclwrite.Body, o *obj) envSet {
	var e envSet
	if o == nil {
		return e
	}
	if !hasKey(o, "clear") && !hasKey(o, "secret") && !hasKey(o, "tags") {
		c.envPairs(body, o, &e)
		return e
	}
	if cl := o.sub("clear"); cl != nil {
		c.envPairs(body, cl, &e)
	}
	for _, s := range o.list("secret") {
		key, name, ok := strings.Cut(s, ":")
		if !ok {
			name = key
		}
		e.secrets = append(e.secrets, [2]string{key, name})
	}
	o.get("tags")
	c.rest(body, o, nil)
	return e
}

// envPairs reads o's clear values into e; a value that is a list or a
// mapping is reported.
func (c *conv) envPairs(body *hclwrite.Body, o *obj, e *envSet) {
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		k, v := o.n.Content[i], o.n.Content[i+1]
		o.used[k.Value] = true
		if v.Kind != yaml.ScalarNode {
			c.unmapped(body, k, v, o.key(k.Value), "an env value is a single value, not "+kindName(v))
			continue
		}
		e.clear = append(e.clear, [2]string{k.Value, c.envValue(v)})
	}
}

func hasKey(o *obj, key string) bool {
	for _, k := range o.keys() {
		if k == key {
			return true
		}
	}
	return false
}

// merge lays over's values over e's, key by key.
func (e envSet) merge(over envSet) envSet {
	set := func(list [][2]string, kv [2]string) [][2]string {
		for i := range list {
			if list[i][0] == kv[0] {
				list[i] = kv
				return list
			}
		}
		return append(list, kv)
	}
	out := envSet{clear: append([][2]string(nil), e.clear...), secrets: append([][2]string(nil), e.secrets...)}
	for _, kv := range over.clear {
		out.clear = set(out.clear, kv)
	}
	for _, kv := range over.secrets {
		out.secrets = set(out.secrets, kv)
	}
	return out
}

// write sets env and secret_env in body.
func (c *conv) writeEnv(body *hclwrite.Body, e envSet) {
	if len(e.clear) > 0 {
		attr(body, "env", mapSrc(e.clear))
	}
	if len(e.secrets) == 0 {
		return
	}
	kv := make([][2]string, len(e.secrets))
	for i, s := range e.secrets {
		kv[i] = [2]string{s[0], c.secret(s[1])}
	}
	comment(body, "Kamal read these from .kamal/secrets: berth from the environment (or secrets_file(), secret_cmd())")
	c.secretsFiles()
	attr(body, "secret_env", mapSrc(kv))
}

// shared is what Kamal's top level gives every role.
type shared struct {
	env     envSet
	tags    *obj
	labels  [][2]string
	volumes []string
	logging *yaml.Node
	proxy   *yaml.Node
}

func (c *conv) readShared(body *hclwrite.Body, root *obj) shared {
	var s shared
	envObj := root.sub("env")
	s.env = c.readEnv(body, envObj)
	if envObj != nil {
		s.tags = envObj.sub("tags")
	}
	for _, p := range pairs(root.mapping("labels")) {
		s.labels = append(s.labels, [2]string{p[0], c.str(p[1])})
	}
	s.volumes = root.list("volumes")
	s.logging = root.mapping("logging")
	s.proxy = root.mapping("proxy")
	return s
}

// writeRoles writes a role block per Kamal role.
func (c *conv) writeRoles(root *obj) {
	body := c.section()
	sh := c.readShared(body, root)
	var so *obj
	if srv := root.get("servers"); srv != nil && srv.Kind == yaml.MappingNode {
		so = newObj(srv, "servers")
	}
	for _, r := range c.roles {
		var ro *obj
		if so != nil {
			ro = so.sub(r.name)
			so.get(r.name)
		}
		c.role(c.section(), r, ro, sh)
	}
	c.envTags(body, sh.tags)
}

// role writes one role block.
func (c *conv) role(body *hclwrite.Body, r roleDecl, ro *obj, sh shared) {
	b := body.AppendNewBlock("role", []string{r.name}).Body()
	if r.name == c.primary {
		attr(b, "primary", "true")
	}
	attr(b, "hosts", hostRefs(r.hosts))
	if ro != nil {
		ro.get("hosts")
	}
	if ro != nil {
		if v, ok := ro.text("cmd"); ok {
			c.cmd(b, v)
		}
	}
	env := sh.env
	labels := sh.labels
	if ro != nil {
		env = env.merge(c.readEnv(b, ro.sub("env")))
		for _, p := range pairs(ro.mapping("labels")) {
			labels = append(labels, [2]string{p[0], c.str(p[1])})
		}
	}
	c.writeEnv(b, env)
	if len(labels) > 0 {
		attr(b, "labels", mapSrc(labels))
	}
	opts := &containerOpts{volumes: c.strs(sh.volumes)}
	if ro != nil {
		c.options(b, ro.sub("options"), opts)
	}
	if running, _ := c.proxyRuns(r, ro); running {
		c.proxiedPorts(b, opts)
	}
	opts.write(b)
	c.logging(b, sh.logging, ro)
	c.roleProxy(b, r, ro, sh.proxy)
	if ro != nil {
		c.rest(b, ro, map[string]string{
			"asset_path": "berth does not bridge assets between versions",
		})
	}
}

// cmd writes a Kamal command (a string the shell splits) as a list.
func (c *conv) cmd(b *hclwrite.Body, s string) {
	words, ok := shellWords(s)
	if !ok {
		comment(b, "kamal cmd, run with a shell: "+c.erbs.restore(s))
		attr(b, "cmd", listSrc([]string{quote("/bin/sh"), quote("-c"), c.str(s)}))
		return
	}
	attr(b, "cmd", listSrc(c.strs(words)))
}

func (c *conv) strs(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = c.str(s)
	}
	return out
}

// logging writes the role's logging block: the top level's, the role's
// laid over it.
func (c *conv) logging(b *hclwrite.Body, top *yaml.Node, ro *obj) {
	var n *yaml.Node = top
	if ro != nil {
		if own := ro.mapping("logging"); own != nil {
			n = deepMerge(top, own)
		}
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	lo := newObj(n, "logging")
	lb := b.AppendNewBlock("logging", nil).Body()
	if d, ok := lo.text("driver"); ok {
		attr(lb, "driver", c.str(d))
	}
	if opts := pairs(lo.mapping("options")); len(opts) > 0 {
		kv := make([][2]string, len(opts))
		for i, p := range opts {
			kv[i] = [2]string{p[0], c.str(p[1])}
		}
		attr(lb, "options", mapSrc(kv))
	}
	c.rest(lb, lo, nil)
}

// envTags notes Kamal's env tags: berth's env is per role, not per host.
func (c *conv) envTags(body *hclwrite.Body, tags *obj) {
	if tags == nil {
		return
	}
	for i := 0; i+1 < len(tags.n.Content); i += 2 {
		k := tags.n.Content[i]
		hosts := c.hostsTagged(k.Value)
		c.unmapped(body, k, tags.n.Content[i+1], "env.tags."+k.Value,
			"berth's env is per role, not per host tag (hosts tagged: "+strings.Join(hosts, ", ")+"): put these hosts in a role of their own with this env")
	}
}

// secretsFiles notes, once, Kamal's secrets files next to the
// configuration (never reading them: they hold the values).
func (c *conv) secretsFiles() {
	if c.secretsNoted {
		return
	}
	c.secretsNoted = true
	root := filepath.Dir(filepath.Dir(c.opts.File))
	names := []string{"secrets-common", "secrets"}
	if c.opts.Destination != "" {
		names = append(names, "secrets."+c.opts.Destination)
	}
	for _, n := range names {
		p := filepath.Join(root, ".kamal", n)
		if _, err := os.Stat(p); err == nil {
			c.notes.add(&c.notes.warnings, Note{At: p, Key: "env.secret",
				Message: "Kamal's secrets are in " + p + " (not read): export them for berth, or use secret_env = secrets_file(\"" + p + "\") where it runs no $(...) command, or secret_cmd()"})
		}
	}
}
