package lang

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// defaultProxyHTTPSPort is the host port the proxy publishes for HTTPS.
const defaultProxyHTTPSPort = 443

// ProxyTLS is the TLS of a role's route: a certificate of your own (the
// `tls { certificate, private_key }` block) or one from Let's Encrypt
// (`tls = true`, Auto).
type ProxyTLS struct {
	Auto        bool   // Let's Encrypt through kamal-proxy's ACME client
	Certificate string // PEM: the certificate chain, leaf first
	PrivateKey  Secret // PEM: its private key, never printed
}

var roleTLSSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "certificate", Required: true}, {Name: "private_key", Required: true},
}}

// decodeRoleTLS reads `tls = true` or a `tls { ... }` block, tls_redirect
// and canonical_host of a role's proxy block into p.
func (l *loader) decodeRoleTLS(p *RoleProxy, content *hcl.BodyContent) {
	at := content.Attributes
	blocks := l.single(blocksOfType(content.Blocks, "tls"))
	var subject *hcl.Range
	switch {
	case at["tls"] != nil && len(blocks) > 0:
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Both tls = true and a tls block",
			Detail:  "tls = true asks Let's Encrypt for a certificate; a tls block gives your own. Choose one.",
			Subject: blocks[0].DefRange.Ptr()})
		return
	case at["tls"] != nil:
		if v, ok := l.boolean(at["tls"]); ok && v {
			p.TLS = &ProxyTLS{Auto: true}
		}
		subject = at["tls"].Expr.Range().Ptr()
	case len(blocks) == 1:
		p.TLS = l.decodeTLSBlock(blocks[0])
		subject = blocks[0].DefRange.Ptr()
	}
	if v, ok := l.boolean(at["tls_redirect"]); ok {
		p.TLSRedirect = v
	}
	if s, ok := l.str(at["canonical_host"]); ok {
		l.canonicalHost(p, s, at["canonical_host"])
	}
	if p.TLS != nil {
		l.checkTLSRoute(p, subject)
	}
}

// decodeTLSBlock reads a tls block: a PEM certificate (usually
// file("...")) and its private key, a secret.
func (l *loader) decodeTLSBlock(b *hcl.Block) *ProxyTLS {
	content, diags := b.Body.Content(roleTLSSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	t := &ProxyTLS{}
	cert, ok := l.certificate(at["certificate"])
	if !ok {
		return nil
	}
	if blk, _ := pem.Decode([]byte(cert)); blk == nil || blk.Type != "CERTIFICATE" {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid certificate",
			Detail:  `certificate is a PEM certificate ("-----BEGIN CERTIFICATE-----"), usually file("certs/site.pem").`,
			Subject: at["certificate"].Expr.Range().Ptr()})
		return nil
	}
	t.Certificate = cert
	key, ok := l.secret(at["private_key"])
	if !ok {
		return nil
	}
	t.PrivateKey = key
	if key.Value() != "" && !l.opts.Validate {
		if _, err := tls.X509KeyPair([]byte(cert), []byte(key.Value())); err != nil {
			// The error of crypto/tls names no part of the key.
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Certificate and private key do not match",
				Detail:  fmt.Sprintf("The private key (%s) is not the key of this certificate, or not a PEM private key: %v.", key.Ref(), err),
				Subject: at["private_key"].Expr.Range().Ptr()})
			return nil
		}
	}
	return t
}

// certificate reads the certificate: a string, usually file("..."), or,
// read like a secret, env("NAME"), secret_cmd(...) or secrets_file(...)
// (Kamal keeps the certificate with its key in .kamal/secrets). A
// certificate is no secret, but one read that way is kept out of output
// all the same.
func (l *loader) certificate(a *hcl.Attribute) (string, bool) {
	if a != nil && secretSource(a.Expr) {
		s, ok := l.secret(a)
		return s.Value(), ok && s.Value() != ""
	}
	return l.str(a)
}

// canonicalHost sets p.CanonicalHost: one of the route's host names,
// which kamal-proxy redirects every other name to.
func (l *loader) canonicalHost(p *RoleProxy, s string, attr *hcl.Attribute) {
	if len(p.Hosts) > 0 && !slices.Contains(p.Hosts, s) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Canonical host not routed",
			Detail:  fmt.Sprintf("canonical_host %q must be one of the route's host names (%v): kamal-proxy redirects the others to it.", s, p.Hosts),
			Subject: attr.Expr.Range().Ptr()})
		return
	}
	p.CanonicalHost = s
}

// checkTLSRoute refuses TLS where kamal-proxy refuses it: a route without
// host names (the certificate is chosen by name) or below a path prefix
// (TLS is set on the root path's route).
func (l *loader) checkTLSRoute(p *RoleProxy, subject *hcl.Range) {
	switch {
	case len(p.Hosts) == 0:
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "TLS without a host name",
			Detail: "A route with TLS needs host or hosts: kamal-proxy picks the certificate by the name the client asks for.", Subject: subject})
	case p.PathPrefix != "" && p.PathPrefix != "/":
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "TLS below a path prefix",
			Detail: "kamal-proxy sets TLS on the route of the root path; remove path_prefix, or tls.", Subject: subject})
	}
}
