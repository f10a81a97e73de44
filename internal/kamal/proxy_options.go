package kamal

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// routeTLS writes Kamal's ssl and ssl_redirect as berth's TLS: `ssl: true`
// is Let's Encrypt (tls = true); `ssl: {certificate_pem, private_key_pem}`
// names two secrets of .kamal/secrets, read here with env() like every
// other secret.
func (c *conv) routeTLS(pb *hclwrite.Body, p *obj) {
	if own := p.sub("ssl"); own != nil {
		cert, okC := own.text("certificate_pem")
		key, okK := own.text("private_key_pem")
		if !okC || !okK {
			c.unmapped(pb, keyNode(p, "ssl"), own.n, p.key("ssl"), "a custom certificate needs both certificate_pem and private_key_pem")
			return
		}
		comment(pb, "Kamal read the certificate and key from .kamal/secrets: berth from the environment (or secrets_file(), secret_cmd())")
		c.secretsFiles()
		tb := pb.AppendNewBlock("tls", nil).Body()
		attr(tb, "certificate", c.secret(cert))
		attr(tb, "private_key", c.secret(key))
		c.rest(tb, own, nil)
	} else if v, ok := p.text("ssl"); ok {
		switch v {
		case "true":
			attr(pb, "tls", "true")
		case "false":
		default:
			c.unmapped(pb, keyNode(p, "ssl"), p.get("ssl"), p.key("ssl"), "neither true, false nor a certificate_pem/private_key_pem mapping")
		}
	}
	boolAttr(pb, p, "ssl_redirect", "tls_redirect")
}

// boolAttr writes o's key, when it is true or false, as the attribute
// name; any other value is left unread, for the report.
func boolAttr(body *hclwrite.Body, o *obj, key, name string) {
	v, ok := o.text(key)
	switch {
	case ok && (v == "true" || v == "false"):
		attr(body, name, v)
	case ok:
		o.used[key] = false
	}
}

// routeOptions writes Kamal's forward_headers, response_timeout (seconds),
// buffering and logging as the proxy block's options of the same names.
func (c *conv) routeOptions(pb *hclwrite.Body, p *obj) {
	boolAttr(pb, p, "forward_headers", "forward_headers")
	if v, ok := p.text("response_timeout"); ok {
		if d, ok := seconds(v); ok {
			attr(pb, "response_timeout", quote(d))
		} else {
			p.used["response_timeout"] = false
		}
	}
	if b := p.sub("buffering"); b != nil {
		bb := pb.AppendNewBlock("buffering", nil).Body()
		for _, k := range []string{"requests", "responses"} {
			boolAttr(bb, b, k, k)
		}
		for _, k := range []string{"max_request_body", "max_response_body", "memory"} {
			if v, ok := b.text(k); ok {
				if n, err := strconv.ParseInt(strings.ReplaceAll(v, "_", ""), 10, 64); err == nil && n >= 0 {
					attr(bb, k, strconv.FormatInt(n, 10))
				} else {
					b.used[k] = false
				}
			}
		}
		c.rest(bb, b, nil)
	}
	if l := p.sub("logging"); l != nil {
		lb := pb.AppendNewBlock("logging", nil).Body()
		for _, k := range []string{"request_headers", "response_headers"} {
			if v := l.get(k); v != nil {
				attr(lb, k, listSrc(c.strs(stringList(v))))
			}
		}
		c.rest(lb, l, nil)
	}
}
