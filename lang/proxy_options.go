package lang

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// ProxyOptions are the options of a role's route that kamal-proxy applies
// to each request: a response timeout, buffering and body limits,
// forwarded headers and the headers it logs. The zero value sends none of
// them (kamal-proxy's own defaults apply).
type ProxyOptions struct {
	ResponseTimeout time.Duration // --target-timeout; 0 = kamal-proxy's 30s
	// ForwardHeaders sends X-Forwarded-For/-Proto/-Host to the app
	// (--forward-headers); nil = kamal-proxy's default (on without TLS).
	ForwardHeaders     *bool
	BufferRequests     bool     // --buffer-requests
	BufferResponses    bool     // --buffer-responses
	MaxRequestBody     int64    // bytes, with BufferRequests; 0 = unlimited
	MaxResponseBody    int64    // bytes, with BufferResponses; 0 = unlimited
	BufferMemory       int64    // bytes kept in memory before a buffer spills to disk; 0 = default
	LogRequestHeaders  []string // --log-request-header
	LogResponseHeaders []string // --log-response-header
}

var (
	bufferingSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "requests"}, {Name: "responses"},
		{Name: "max_request_body"}, {Name: "max_response_body"}, {Name: "memory"}}}
	proxyLoggingSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "request_headers"}, {Name: "response_headers"}}}
	headerNameRe       = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)
)

// maxBodySize bounds the byte sizes of the buffering block (1 TiB).
const maxBodySize = 1 << 40

// decodeProxyOptions reads response_timeout, forward_headers and the
// buffering and logging blocks of a role's proxy block.
func (l *loader) decodeProxyOptions(content *hcl.BodyContent) ProxyOptions {
	var o ProxyOptions
	at := content.Attributes
	if v, ok := l.duration(at["response_timeout"]); ok {
		o.ResponseTimeout = v
	}
	if v, ok := l.boolean(at["forward_headers"]); ok {
		o.ForwardHeaders = &v
	}
	if bs := l.single(blocksOfType(content.Blocks, "buffering")); len(bs) == 1 {
		l.decodeBuffering(bs[0], &o)
	}
	if bs := l.single(blocksOfType(content.Blocks, "logging")); len(bs) == 1 {
		c, diags := bs[0].Body.Content(proxyLoggingSchema)
		l.diags = append(l.diags, diags...)
		o.LogRequestHeaders = l.headerNames(c.Attributes["request_headers"])
		o.LogResponseHeaders = l.headerNames(c.Attributes["response_headers"])
	}
	return o
}

func (l *loader) decodeBuffering(b *hcl.Block, o *ProxyOptions) {
	c, diags := b.Body.Content(bufferingSchema)
	l.diags = append(l.diags, diags...)
	at := c.Attributes
	o.BufferRequests, _ = l.boolean(at["requests"])
	o.BufferResponses, _ = l.boolean(at["responses"])
	size := func(name string, needs bool, what string) int64 {
		v, ok := l.integer(at[name], 0, maxBodySize)
		if ok && v > 0 && !needs {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Body limit without buffering",
				Detail:  fmt.Sprintf("kamal-proxy limits a %s body only while it buffers it: set %s = true, or remove %s.", what, what+"s", name),
				Subject: at[name].NameRange.Ptr()})
		}
		return int64(v)
	}
	o.MaxRequestBody = size("max_request_body", o.BufferRequests, "request")
	o.MaxResponseBody = size("max_response_body", o.BufferResponses, "response")
	if v, ok := l.integer(at["memory"], 1, maxBodySize); ok {
		o.BufferMemory = int64(v)
	}
}

// headerNames reads a list of HTTP header names.
func (l *loader) headerNames(attr *hcl.Attribute) []string {
	list, _ := l.strList(attr)
	var out []string
	for _, e := range list {
		name := e.val.AsString()
		if !headerNameRe.MatchString(name) {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid header name",
				Detail: fmt.Sprintf("%q is not an HTTP header name such as \"X-Request-Id\".", name), Subject: e.expr.Range().Ptr()})
			continue
		}
		out = append(out, name)
	}
	return out
}
