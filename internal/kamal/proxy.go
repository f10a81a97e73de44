package kamal

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// roleProxy writes a role's proxy block where Kamal runs the role behind
// kamal-proxy: the primary role unless its proxy is false, any other role
// only with proxy: true or a proxy mapping. The role's mapping is laid
// over the top level's, as Kamal does.
func (c *conv) roleProxy(b *hclwrite.Body, r roleDecl, ro *obj, top *yaml.Node) {
	var own *yaml.Node
	if ro != nil {
		own = ro.get("proxy")
	}
	s, _ := scalar(own)
	running := s == "true" || own != nil && own.Kind == yaml.MappingNode
	if r.name == c.primary {
		running = s != "false"
	}
	if !running {
		return
	}
	c.proxied = true
	n := top
	if own != nil && own.Kind == yaml.MappingNode {
		n = deepMerge(top, own)
	}
	if n == nil || n.Kind != yaml.MappingNode {
		n = &yaml.Node{Kind: yaml.MappingNode}
	}
	p := newObj(n, "proxy")
	pb := b.AppendNewBlock("proxy", nil).Body()
	port := "80"
	if v, ok := scalar(p.get("app_port")); ok {
		port = v
	}
	attr(pb, "app_port", port)
	c.proxyHosts(pb, p)
	if v, ok := scalar(p.get("path_prefix")); ok {
		attr(pb, "path_prefix", c.str(v))
	}
	if v, ok := scalar(p.get("strip_path_prefix")); ok {
		attr(pb, "strip_path_prefix", v)
	}
	if hc := p.sub("healthcheck"); hc != nil {
		if v, ok := scalar(hc.get("path")); ok {
			attr(pb, "health_path", c.str(v))
		}
		c.rest(pb, hc, map[string]string{
			"interval": "kamal-proxy's health check interval is its own default",
			"timeout":  "kamal-proxy's health check timeout is its own default",
		})
	}
	c.timeouts(pb)
	c.routeTLS(pb, p)
	c.routeOptions(pb, p)
	if v, ok := scalar(c.root.get("error_pages_path")); ok {
		attr(pb, "error_pages", quote(c.contextDir(v)))
	}
	c.rest(pb, p, map[string]string{
		"run": "set the proxy's image and ports in the top-level proxy block",
	})
}

// timeouts writes deploy_timeout and drain_timeout, which Kamal sets at
// the top level, into a role's proxy block.
func (c *conv) timeouts(pb *hclwrite.Body) {
	for _, k := range []string{"deploy_timeout", "drain_timeout"} {
		if v, ok := scalar(c.root.get(k)); ok {
			if d, ok := seconds(v); ok {
				attr(pb, k, quote(d))
			}
		}
	}
}

// proxyHosts writes host or hosts. As in Kamal, hosts wins over host, and
// host may be several names separated by commas.
func (c *conv) proxyHosts(pb *hclwrite.Body, p *obj) {
	one, hasOne := scalar(p.get("host"))
	if v := p.get("hosts"); v != nil {
		attr(pb, "hosts", listSrc(c.strs(stringList(v))))
		if hasOne {
			c.warn(keyNode(p, "host"), "proxy.host", "proxy.hosts is set too, and wins (as in Kamal): host "+one+" is not routed")
		}
		return
	}
	if !hasOne {
		return
	}
	names := strings.Split(one, ",")
	if len(names) == 1 {
		attr(pb, "host", c.str(one))
		return
	}
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	attr(pb, "hosts", listSrc(c.strs(names)))
}
