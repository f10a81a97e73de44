package lang

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Defaults of the proxy blocks. The default image is kamal-proxy's own
// release on Docker Hub; point proxy.image at a copy in your registry.
const (
	DefaultProxyImage    = "basecamp/kamal-proxy:v0.9.2"
	defaultProxyHTTPPort = 80
	defaultProxyHealth   = "/up"
	defaultProxyDeploy   = 30 * time.Second
	defaultProxyDrain    = 30 * time.Second
)

// Proxy is the top-level `proxy` block: the kamal-proxy container berth
// runs on every host of a proxied role.
type Proxy struct {
	Image    string // full reference with tag; default DefaultProxyImage
	HTTPPort int    // host port published to the proxy's port 80; default 80
	// HTTPSPort is the host port published to the proxy's port 443; default 443.
	HTTPSPort int
}

// RoleProxy is a role's `proxy` block: the role's containers publish no
// host port; the host's kamal-proxy routes to them and switches to a new
// container only once it answers its health check (kamal-proxy's `deploy`).
type RoleProxy struct {
	AppPort    int      // the container port the app listens on (required)
	Hosts      []string // route only these Host headers (`host` or `hosts`); none = any
	PathPrefix string   // route only below this path; "" = all
	// StripPathPrefix removes PathPrefix from the request's path before
	// it reaches the container (kamal-proxy's default); default true.
	StripPathPrefix bool
	HealthPath      string        // default "/up"
	DeployTimeout   time.Duration // how long the new container may take to turn healthy; default 30s
	DrainTimeout    time.Duration // how long in-flight requests to the old one may take; default 30s
	TLS             *ProxyTLS     // nil: plain HTTP
	TLSRedirect     bool          // with TLS, redirect HTTP to HTTPS; default true
	CanonicalHost   string        // redirect the other host names to this one; "" = none
	Options         ProxyOptions  // per-request options; zero = kamal-proxy's defaults
	ErrorPages      *ErrorPages   // the role's own error pages; nil = kamal-proxy's
}

var proxySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "image"}, {Name: "http_port"}, {Name: "https_port"}}}

var roleProxySchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "app_port", Required: true}, {Name: "host"}, {Name: "hosts"}, {Name: "path_prefix"},
	{Name: "strip_path_prefix"}, {Name: "health_path"}, {Name: "deploy_timeout"}, {Name: "drain_timeout"},
	{Name: "tls"}, {Name: "tls_redirect"}, {Name: "canonical_host"}, {Name: "response_timeout"}, {Name: "forward_headers"},
	{Name: "error_pages"},
}, Blocks: []hcl.BlockHeaderSchema{{Type: "tls"}, {Type: "buffering"}, {Type: "logging"}}}

// decodeProxy reads the top-level proxy block, defaults applied; the zero
// Proxy when there is neither the block nor a proxied role.
func (l *loader) decodeProxy(blocks []*hcl.Block, used bool) Proxy {
	if len(blocks) == 0 && !used {
		return Proxy{}
	}
	p := Proxy{Image: DefaultProxyImage, HTTPPort: defaultProxyHTTPPort, HTTPSPort: defaultProxyHTTPSPort}
	if len(blocks) == 0 {
		return p
	}
	content, diags := blocks[0].Body.Content(proxySchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	if img := l.pinnedImage(at["image"], "The proxy image", ":v0.9.2"); img != "" {
		p.Image = img
	}
	if v, ok := l.integer(at["http_port"], 1, 65535); ok {
		p.HTTPPort = v
	}
	if v, ok := l.integer(at["https_port"], 1, 65535); ok {
		p.HTTPSPort = v
	}
	if p.HTTPPort == p.HTTPSPort {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Same port for HTTP and HTTPS",
			Detail: fmt.Sprintf("http_port and https_port are both %d; the proxy publishes each on its own host port.", p.HTTPPort), Subject: blocks[0].DefRange.Ptr()})
	}
	return p
}

// decodeRoleProxy reads a role's proxy block.
func (l *loader) decodeRoleProxy(b *hcl.Block) *RoleProxy {
	content, diags := b.Body.Content(roleProxySchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	p := &RoleProxy{HealthPath: defaultProxyHealth, DeployTimeout: defaultProxyDeploy, DrainTimeout: defaultProxyDrain,
		StripPathPrefix: true, TLSRedirect: true}
	p.AppPort, _ = l.integer(at["app_port"], 1, 65535)
	p.Hosts = l.proxyHosts(at)
	if v, ok := l.boolean(at["strip_path_prefix"]); ok {
		p.StripPathPrefix = v
	}
	for _, name := range []string{"path_prefix", "health_path"} {
		s, ok := l.str(at[name])
		if !ok {
			continue
		}
		if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, " \t\n") {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid path",
				Detail: fmt.Sprintf("%s is a URL path starting with /, such as \"/up\"; %q is not.", name, s), Subject: at[name].Expr.Range().Ptr()})
			continue
		}
		if name == "path_prefix" {
			p.PathPrefix = s
		} else {
			p.HealthPath = s
		}
	}
	if v, ok := l.duration(at["deploy_timeout"]); ok {
		p.DeployTimeout = v
	}
	if v, ok := l.duration(at["drain_timeout"]); ok {
		p.DrainTimeout = v
	}
	l.decodeRoleTLS(p, content)
	p.Options = l.decodeProxyOptions(content)
	p.ErrorPages = l.decodeErrorPages(at["error_pages"])
	return p
}

// proxyHosts reads `host` (one name) or `hosts` (several) of a role's
// proxy block, each a host name; not both.
func (l *loader) proxyHosts(at hcl.Attributes) []string {
	if at["host"] != nil && at["hosts"] != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Both host and hosts",
			Detail: "A proxy block routes either one host name (host) or several (hosts); give one of them.", Subject: at["hosts"].NameRange.Ptr()})
		return nil
	}
	var elems []elem
	if s, ok := l.str(at["host"]); ok {
		elems = []elem{{expr: at["host"].Expr, val: cty.StringVal(s)}}
	} else if list, ok := l.strList(at["hosts"]); ok {
		elems = list
	}
	var out []string
	for _, e := range elems {
		name := e.val.AsString()
		switch {
		case !domainRe.MatchString(name):
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid proxy host",
				Detail: fmt.Sprintf("%q is not a host name such as \"shop.example.com\".", name), Subject: e.expr.Range().Ptr()})
		case slices.Contains(out, name):
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate proxy host",
				Detail: fmt.Sprintf("%q is listed twice.", name), Subject: e.expr.Range().Ptr()})
		default:
			out = append(out, name)
		}
	}
	return out
}

// checkProxiedPorts refuses ports on a proxied role: the proxy publishes
// the host's port and the role's containers run side by side on a network.
func (l *loader) checkProxiedPorts(r *Role, at hcl.Attributes) {
	if r.Proxy == nil || at["ports"] == nil {
		return
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ports on a proxied role",
		Detail:  fmt.Sprintf("The role %q has a proxy block: the proxy publishes the host's port and routes to proxy.app_port, so the role publishes no ports. Remove ports, or the proxy block to publish them directly.", r.Name),
		Subject: at["ports"].NameRange.Ptr()})
}

// checkProxiedAccessoryPorts refuses ports on a proxied accessory.
func (l *loader) checkProxiedAccessoryPorts(a *Accessory, at hcl.Attributes) {
	if a.Proxy == nil || at["ports"] == nil {
		return
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ports on a proxied accessory",
		Detail:  fmt.Sprintf("The accessory %q has a proxy block: the proxy publishes the host's port and routes to proxy.app_port, so the accessory publishes no ports.", a.Name),
		Subject: at["ports"].NameRange.Ptr()})
}

// checkRoleName refuses the role name of the proxy's own steps and address.
func (l *loader) checkRoleName(b *hcl.Block) {
	if b.Labels[0] == "berth-proxy" {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reserved role name",
			Detail: `"berth-proxy" names the proxy container on every host of a proxied role; choose another role name.`, Subject: b.LabelRanges[0].Ptr()})
	}
}

// blocksOfType keeps the blocks of one type.
func blocksOfType(blocks hcl.Blocks, typ string) hcl.Blocks {
	var out hcl.Blocks
	for _, b := range blocks {
		if b.Type == typ {
			out = append(out, b)
		}
	}
	return out
}
