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
	running, own := c.proxyRuns(r, ro)
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
	if v, ok := p.text("app_port"); ok {
		port = v
	}
	attr(pb, "app_port", port)
	c.proxyHosts(pb, p)
	if v, ok := p.text("path_prefix"); ok {
		attr(pb, "path_prefix", c.str(v))
	}
	if v, ok := p.text("strip_path_prefix"); ok {
		attr(pb, "strip_path_prefix", v)
	}
	if hc := p.sub("healthcheck"); hc != nil {
		if v, ok := hc.text("path"); ok {
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
	if v, ok := c.root.text("error_pages_path"); ok {
		attr(pb, "error_pages", quote(c.contextDir(v)))
	}
	c.rest(pb, p, map[string]string{
		"run": "set the proxy's image and ports in the top-level proxy block",
	})
}

// proxyRuns reports whether Kamal runs role r behind kamal-proxy (the
// primary role unless its proxy is false, any other only with proxy: true
// or a proxy mapping), with the role's own proxy value.
func (c *conv) proxyRuns(r roleDecl, ro *obj) (bool, *yaml.Node) {
	var own *yaml.Node
	if ro != nil {
		own = ro.get("proxy")
	}
	s, _ := scalar(own)
	if r.name == c.primary {
		return s != "false", own
	}
	return s == "true" || own != nil && own.Kind == yaml.MappingNode, own
}

// proxiedPorts reports the ports options publish for a role behind the
// proxy, where berth publishes none (kamal-proxy routes to the
// container), and drops them.
func (c *conv) proxiedPorts(b *hclwrite.Body, o *containerOpts) {
	for _, p := range o.published {
		c.unmapped(b, p.key, p.val, p.path, "a role behind the proxy publishes no ports in berth: kamal-proxy routes to it on the service's network")
	}
	o.ports, o.published = nil, nil
}

// timeouts writes deploy_timeout and drain_timeout, which Kamal sets at
// the top level, into a role's proxy block; one that is not a number of
// seconds is reported.
func (c *conv) timeouts(pb *hclwrite.Body) {
	for _, k := range []string{"deploy_timeout", "drain_timeout"} {
		v := c.root.get(k)
		if v == nil {
			continue
		}
		s, _ := scalar(v)
		if d, ok := seconds(s); ok {
			attr(pb, k, quote(d))
		} else {
			c.unmapped(pb, keyNode(c.root, k), v, k, "not a number of seconds")
		}
	}
}

// proxyHosts writes host or hosts. As in Kamal, hosts wins over host, and
// host may be several names separated by commas.
func (c *conv) proxyHosts(pb *hclwrite.Body, p *obj) {
	one, hasOne := p.text("host")
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
