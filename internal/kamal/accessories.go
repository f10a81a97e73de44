package kamal

import (
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// accessories writes an accessory block per Kamal accessory.
func (c *conv) accessories(root *obj) {
	acc := root.sub("accessories")
	if acc == nil {
		return
	}
	for _, name := range acc.keys() {
		body := c.section()
		if a := acc.sub(name); a != nil {
			c.accessory(body, name, a)
			continue
		}
		c.unmapped(body, keyNode(acc, name), c.valueOf(acc, keyNode(acc, name)), acc.key(name),
			"an accessory is a mapping (image:, host:, ...), not "+kindName(c.valueOf(acc, keyNode(acc, name))))
	}
}

func (c *conv) accessory(body *hclwrite.Body, name string, a *obj) {
	b := body.AppendNewBlock("accessory", []string{name}).Body()
	img, _ := a.text("image")
	if !hasTag(img) {
		c.warn(keyNode(a, "image"), a.key("image"), "berth pins an accessory's image: the tag latest was added")
		img += ":latest"
	}
	attr(b, "image", c.str(img))
	c.accessoryHosts(b, a)
	if v, ok := a.text("cmd"); ok {
		c.cmd(b, v)
	}
	c.writeEnv(b, c.readEnv(b, a.sub("env")))
	if ls := pairs(a.mapping("labels")); len(ls) > 0 {
		kv := make([][2]string, len(ls))
		for i, p := range ls {
			kv[i] = [2]string{p[0], c.str(p[1])}
		}
		attr(b, "labels", mapSrc(kv))
	}
	opts := &containerOpts{volumes: c.strs(a.list("volumes"))}
	if p, ok := a.text("port"); ok {
		opts.ports = append(opts.ports, c.str(accessoryPort(p)))
	}
	c.directories(b, a, name, opts)
	c.options(b, a.sub("options"), opts)
	opts.write(b)
	if f := a.get("files"); f != nil {
		c.unmapped(b, keyNode(a, "files"), f, a.key("files"),
			"berth copies no files to the hosts: copy each to ~/"+c.service+"-"+name+"/REMOTE on the hosts yourself and mount it in volumes")
	}
	c.rest(b, a, map[string]string{
		"service":  "berth names an accessory's container SERVICE-NAME",
		"proxy":    "berth routes roles only through its proxy",
		"registry": "an accessory's image comes from the registry block's server, or a public one",
		"network":  "berth puts every container on the service's network (service.network)",
	})
}

// hasTag reports whether an image reference has a tag or digest.
func hasTag(ref string) bool {
	last := ref[strings.LastIndex(ref, "/")+1:]
	return strings.Contains(last, ":") || strings.Contains(last, "@")
}

// accessoryPort is Kamal's port as berth's "[ip:]host:container".
func accessoryPort(p string) string {
	if !strings.Contains(strings.SplitN(p, "/", 2)[0], ":") {
		proto := ""
		if i := strings.Index(p, "/"); i >= 0 {
			p, proto = p[:i], p[i:]
		}
		return p + ":" + p + proto
	}
	return p
}

// accessoryHosts writes host or hosts from Kamal's host, hosts, role,
// roles, tag or tags.
func (c *conv) accessoryHosts(b *hclwrite.Body, a *obj) {
	var names []string
	if v := a.get("host"); v != nil {
		names = c.hostList(v)
	}
	if v := a.get("hosts"); v != nil {
		names = appendNew(names, c.hostList(v)...)
	}
	for _, k := range []string{"role", "roles"} {
		for _, r := range a.list(k) {
			hosts, ok := c.roleHosts(r)
			if !ok {
				c.warn(keyNode(a, k), a.key(k), "no role "+r)
			}
			names = appendNew(names, hosts...)
		}
	}
	for _, k := range []string{"tag", "tags"} {
		for _, t := range a.list(k) {
			names = appendNew(names, c.hostsTagged(t)...)
		}
	}
	if len(names) == 1 {
		attr(b, "host", "host."+names[0])
		return
	}
	attr(b, "hosts", hostRefs(names))
}

// directory is an entry of directories: "local:remote[:options]" or a
// mapping of local and remote; "" where it lacks one.
func directory(e *yaml.Node) (local, remote string) {
	if e.Kind == yaml.MappingNode {
		m := newObj(e, "")
		local, _ = m.text("local")
		remote, _ = m.text("remote")
		return local, remote
	}
	parts := strings.SplitN(e.Value, ":", 3)
	if e.Kind != yaml.ScalarNode || len(parts) < 2 {
		return "", ""
	}
	return parts[0], parts[1]
}

// directories mounts Kamal's directories the way Kamal does: a relative
// one is ~/SERVICE-NAME/DIR of the SSH user on the host.
func (c *conv) directories(b *hclwrite.Body, a *obj, name string, o *containerOpts) {
	v := a.ofKind("directories", yaml.SequenceNode, "a list")
	if v == nil {
		return
	}
	home := "/home/" + c.sshUser
	if c.sshUser == "root" {
		home = "/root"
	}
	var notes []string
	for _, e := range v.Content {
		local, remote := directory(e)
		if local == "" || remote == "" {
			what := "a mapping without both"
			if e.Kind == yaml.ScalarNode {
				what = quote(c.erbs.restore(e.Value))
			}
			c.unmapped(b, e, nil, a.key("directories"), "a directory is LOCAL:REMOTE or {local: LOCAL, remote: REMOTE}, not "+what)
			continue
		}
		if !path.IsAbs(local) {
			local = path.Join(home, c.service+"-"+name, local)
		}
		o.volumes = append(o.volumes, c.str(local+":"+remote))
		notes = append(notes, local)
	}
	if len(notes) > 0 {
		comment(b, "kamal directories: Kamal made "+strings.Join(notes, ", ")+" on the host; Docker makes a missing one")
	}
}
