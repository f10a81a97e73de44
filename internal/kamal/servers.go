package kamal

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// servers reads Kamal's servers (the list form: one role "web"; the role
// form: a role per key) into hosts and roles.
func (c *conv) servers(root *obj) {
	srv := root.get("servers")
	c.primary = "web"
	if p, ok := root.text("primary_role"); ok {
		c.primary = p
	}
	if srv == nil {
		return
	}
	if srv.Kind == yaml.SequenceNode {
		c.roles = append(c.roles, roleDecl{name: "web", hosts: c.hostList(srv)})
		return
	}
	so := newObj(srv, "servers")
	for _, name := range so.keys() {
		v := so.get(name)
		if v != nil && v.Kind == yaml.MappingNode {
			v = newObj(v, "").get("hosts")
		}
		c.roles = append(c.roles, roleDecl{name: name, hosts: c.hostList(v)})
	}
}

// hostList declares the hosts of a Kamal host list ("1.2.3.4", or
// "1.2.3.4: [tag, ...]") and returns their names.
func (c *conv) hostList(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	items := n.Content
	if n.Kind == yaml.ScalarNode {
		items = []*yaml.Node{n}
	}
	var names []string
	for _, e := range items {
		switch e.Kind {
		case yaml.ScalarNode:
			names = append(names, c.declareHost(e.Value, nil))
		case yaml.MappingNode:
			for i := 0; i+1 < len(e.Content); i += 2 {
				names = append(names, c.declareHost(e.Content[i].Value, stringList(e.Content[i+1])))
			}
		}
	}
	return names
}

var notHostChar = regexp.MustCompile(`[^a-z0-9]+`)

// declareHost returns the name of the host at address, declaring it.
func (c *conv) declareHost(address string, tags []string) string {
	if name, ok := c.hostByAddr[address]; ok {
		for i := range c.hosts {
			if c.hosts[i].name == name {
				c.hosts[i].tags = appendNew(c.hosts[i].tags, tags...)
			}
		}
		return name
	}
	name := strings.Trim(notHostChar.ReplaceAllString(strings.ToLower(c.erbs.restoreName(address)), "-"), "-")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "h-" + name
	}
	base := name
	for i := 2; c.hostNamed(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	c.hostByAddr[address] = name
	c.hosts = append(c.hosts, hostDecl{name: name, address: address, tags: tags})
	return name
}

func (c *conv) hostNamed(name string) bool {
	for _, h := range c.hosts {
		if h.name == name {
			return true
		}
	}
	return false
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, l := range list {
			found = found || l == a
		}
		if !found {
			list = append(list, a)
		}
	}
	return list
}

// writeHosts writes a host block per host, its Kamal tags as a comment.
func (c *conv) writeHosts(body *hclwrite.Body) {
	for _, h := range c.hosts {
		if len(h.tags) > 0 {
			comment(body, "kamal tags: "+strings.Join(h.tags, ", ")+" (see env tags in the roles)")
		}
		attr(body.AppendNewBlock("host", []string{h.name}).Body(), "address", c.str(h.address))
	}
}

// hostRefs is the source of a list of host references.
func hostRefs(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "host." + n
	}
	return listSrc(refs)
}

// hostsTagged are the names of the hosts with tag.
func (c *conv) hostsTagged(tag string) []string {
	var out []string
	for _, h := range c.hosts {
		for _, t := range h.tags {
			if t == tag {
				out = append(out, h.name)
			}
		}
	}
	return out
}

// roleHosts are the hosts of the named role.
func (c *conv) roleHosts(name string) ([]string, bool) {
	for _, r := range c.roles {
		if r.name == name {
			return r.hosts, true
		}
	}
	return nil, false
}
