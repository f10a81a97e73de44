package lang

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// The healthcheck block of a role or an accessory: cmd or http, and the
// timing around it.

func (l *loader) decodeHealthcheck(b *hcl.Block) *Healthcheck {
	content, diags := b.Body.Content(healthcheckSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	hc := &Healthcheck{Interval: defaultHCInterval, Retries: defaultHCRetries, Deadline: defaultHCDeadline}
	if at["cmd"] != nil && at["http"] != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting health checks",
			Detail: "A healthcheck has either cmd or http, not both.", Subject: at["http"].NameRange.Ptr()})
	} else if a := at["cmd"]; a != nil {
		l.healthCmd(a, hc)
	} else if a := at["http"]; a != nil {
		hc.HTTP = l.healthHTTP(a)
	}
	if v, ok := l.duration(at["interval"]); ok {
		hc.Interval = v
	}
	if v, ok := l.integer(at["retries"], 1, 1000); ok {
		hc.Retries = v
	}
	if v, ok := l.duration(at["deadline"]); ok {
		hc.Deadline = v
	}
	if v, ok := l.duration(at["steady_interval"]); ok && v != DefaultSteadyInterval {
		hc.SteadyInterval = v
	}
	return hc
}

// healthCmd reads cmd: a list runs without a shell, a string with one.
func (l *loader) healthCmd(a *hcl.Attribute, hc *Healthcheck) {
	v, diags := l.eval(a.Expr)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return
	}
	if v.ContainsMarked() {
		l.diags = append(l.diags, sensitiveDiag(a.Expr, "cmd"))
		return
	}
	if v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		hc.Shell = v.AsString()
		if strings.TrimSpace(hc.Shell) == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty command",
				Detail: "The health check command is empty.", Subject: a.Expr.Range().Ptr()})
		}
		return
	}
	els, ok := l.strList(a)
	if !ok {
		return
	}
	hc.Cmd = []string{}
	for _, e := range els {
		hc.Cmd = append(hc.Cmd, e.val.AsString())
	}
	if len(hc.Cmd) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty command",
			Detail: "The health check command is empty.", Subject: a.Expr.Range().Ptr()})
	}
}

// healthHTTP reads http = { path = "/up", port = 8080 }.
func (l *loader) healthHTTP(a *hcl.Attribute) *HTTPCheck {
	v, ok := l.value(a.Expr, cty.Map(cty.String), "http")
	if !ok {
		return nil
	}
	m := v.AsValueMap()
	h := &HTTPCheck{Path: "/up"}
	bad := func(detail string) *HTTPCheck {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid http health check",
			Detail: detail, Subject: a.Expr.Range().Ptr()})
		return nil
	}
	for k, e := range m {
		if k != "path" && k != "port" {
			return bad(fmt.Sprintf("Unknown key %q: http takes path and port.", k))
		}
		if e.IsNull() {
			delete(m, k)
		}
	}
	if p, ok := m["path"]; ok {
		h.Path = p.AsString()
		if !strings.HasPrefix(h.Path, "/") {
			return bad(fmt.Sprintf("The path %q must start with /.", h.Path))
		}
		if u, err := url.ParseRequestURI(h.Path); err != nil || u.Host != "" || u.Opaque != "" {
			return bad(fmt.Sprintf("The path %q is not a valid URL path (escape %% as %%25).", h.Path))
		}
	}
	p, ok := m["port"]
	if !ok {
		return bad("http needs the container port to poll, e.g. { path = \"/up\", port = 8080 }.")
	}
	n, err := portNumber(p.AsString())
	if err != nil {
		return bad(err.Error() + ".")
	}
	h.Port = n
	return h
}
