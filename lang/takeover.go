package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Takeover is the service block's `takeover { from = "kamal" }`: the
// planner reads the containers that another tool runs for this service as
// its current version, so that the first apply replaces them (through the
// barrier, primary first) instead of starting beside them. They are
// stopped and kept, never removed.
type Takeover struct {
	From string // "kamal"
	// Service is the other tool's name of the service (default: the
	// service block's name); Destination is its destination ("" = none;
	// default: the configuration's --destination).
	Service     string
	Destination string
}

// TakeoverKamal is the one tool berth takes over from today.
const TakeoverKamal = "kamal"

var takeoverSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "from", Required: true}, {Name: "service"}, {Name: "destination"},
}}

// decodeTakeover reads the service's takeover block; nil without one.
func (l *loader) decodeTakeover(blocks hcl.Blocks, service string) *Takeover {
	var b *hcl.Block
	for _, blk := range blocks {
		if blk.Type != "takeover" {
			continue
		}
		if b != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate takeover block",
				Detail: "A service takes over from one tool: give one takeover block.", Subject: blk.DefRange.Ptr()})
			continue
		}
		b = blk
	}
	if b == nil {
		return nil
	}
	content, diags := b.Body.Content(takeoverSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	t := &Takeover{Service: service, Destination: l.opts.Destination}
	if s, ok := l.str(at["from"]); ok {
		if s != TakeoverKamal {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown takeover source",
				Detail: fmt.Sprintf("berth takes over from %q only; %q is not one.", TakeoverKamal, s), Subject: at["from"].Expr.Range().Ptr()})
		}
		t.From = s
	}
	if s, ok := l.str(at["service"]); ok && s != "" {
		t.Service = s
	}
	if s, ok := l.str(at["destination"]); ok {
		t.Destination = s
	}
	return t
}
