package lang

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Alias is an `alias "NAME" { command = [...] }` block: `berth NAME ARGS`
// runs `berth COMMAND... ARGS`. Its command is a literal list of strings
// (no variables), so that it can be read before the rest of the
// configuration is evaluated.
type Alias struct {
	Name    string
	Command []string
	// NameRange is where the name is declared, for a diagnostic about it
	// (an alias that shadows a built-in command).
	NameRange hcl.Range
}

var aliasSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "command", Required: true}}}

// aliasName is what a command name may be: it must not look like a flag.
var aliasName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// aliasRootSchema reads only the alias blocks of a file (LoadAliases).
var aliasRootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "alias", LabelNames: []string{"name"}}}}

// LoadAliases reads only the alias blocks of the configuration in dir,
// before (and without) evaluating the rest: the command line needs them to
// know its commands. A directory without configuration has none. Diags
// holds the problems of the alias blocks (and the files' syntax errors).
func LoadAliases(ctx context.Context, dir string) ([]Alias, map[string]*hcl.File, hcl.Diagnostics) {
	l := newLoader(ctx, Options{Dir: dir})
	l.readFiles()
	if len(l.bodies) == 0 {
		return nil, l.parser.Files(), nil
	}
	var blocks []*hcl.Block
	for _, f := range l.bodies {
		content, _, _ := f.Body.PartialContent(aliasRootSchema)
		blocks = append(blocks, content.Blocks...)
	}
	aliases := l.decodeAliases(l.unique(blocks))
	return aliases, l.parser.Files(), l.diags
}

// decodeAliases reads the alias blocks.
func (l *loader) decodeAliases(blocks []*hcl.Block) []Alias {
	var out []Alias
	for _, b := range blocks {
		a := Alias{Name: b.Labels[0], NameRange: b.LabelRanges[0]}
		if !aliasName.MatchString(a.Name) {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid alias name",
				Detail:  fmt.Sprintf("%q is not a command name: lower-case letters, digits, - and _, not starting with - or _.", a.Name),
				Subject: b.LabelRanges[0].Ptr()})
			continue
		}
		content, diags := b.Body.Content(aliasSchema)
		l.diags = append(l.diags, diags...)
		attr := content.Attributes["command"]
		if attr == nil {
			continue
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() || !v.Type().IsTupleType() && !v.Type().IsListType() || v.LengthInt() == 0 {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid alias command",
				Detail:  `command is a non-empty list of literal strings, the berth command and its arguments, e.g. ["exec", "web", "--", "sh"].`,
				Subject: attr.Expr.Range().Ptr()})
			continue
		}
		ok := true
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if ev.IsNull() || ev.Type() != cty.String {
				ok = false
				break
			}
			a.Command = append(a.Command, ev.AsString())
		}
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid alias command",
				Detail: "Every element of command must be a string.", Subject: attr.Expr.Range().Ptr()})
			continue
		}
		out = append(out, a)
	}
	return out
}
