package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// mark is the type of the cty marks lang puts on values.
type mark string

// sensitive marks a value that must never be printed: the value of a
// sensitive variable, and everything env() returns.
const sensitive mark = "sensitive"

// scope is what an expression may refer to.
type scope struct {
	vars   map[string]bool
	locals map[string]bool
	hosts  map[string]bool
}

// eval evaluates expr in the loader's context after checking that every
// variable, local and host it refers to is declared. The result may be
// unknown (after an error, or in validate mode) and may carry marks.
func (l *loader) eval(expr hcl.Expression) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		diags = append(diags, l.checkRef(t)...)
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	v, d := expr.Value(l.evalCtx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return cty.DynamicVal, diags
	}
	return v, diags
}

// checkRef reports a reference to an undeclared variable, local or host.
func (l *loader) checkRef(t hcl.Traversal) hcl.Diagnostics {
	root := t.RootName()
	var kind string
	var declared map[string]bool
	switch root {
	case "var":
		kind, declared = "variable", l.scope.vars
	case "local":
		kind, declared = "local value", l.scope.locals
	case "host":
		kind, declared = "host", l.scope.hosts
	default:
		return nil
	}
	name, ok := traversalAttr(t, 1)
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   fmt.Sprintf("A reference to a %s looks like %s.NAME.", kind, root),
			Subject:  t.SourceRange().Ptr(),
		}}
	}
	if declared[name] {
		return nil
	}
	detail := fmt.Sprintf("No %s named %q is declared.", kind, name)
	if s := suggest(name, declared); s != "" {
		detail += fmt.Sprintf(" Did you mean %s.%s?", root, s)
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + kind,
		Detail:   detail,
		Subject:  t.SourceRange().Ptr(),
	}}
}

// traversalAttr returns the name of step i of t when it is an attribute
// (or a string index).
func traversalAttr(t hcl.Traversal, i int) (string, bool) {
	if len(t) <= i {
		return "", false
	}
	switch s := t[i].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() && !s.Key.IsMarked() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

// value evaluates expr, converts it to ty and refuses sensitive values.
// ok is false when the value is null, unknown or had an error.
func (l *loader) value(expr hcl.Expression, ty cty.Type, name string) (cty.Value, bool) {
	return l.valueOf(expr, ty, name, true)
}

// element is value for an element of a list or map, which must not be null.
func (l *loader) element(expr hcl.Expression, ty cty.Type, name string) (cty.Value, bool) {
	return l.valueOf(expr, ty, name, false)
}

func (l *loader) valueOf(expr hcl.Expression, ty cty.Type, name string, nullOK bool) (cty.Value, bool) {
	v, diags := l.eval(expr)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if !nullOK && v.IsNull() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Null value",
			Detail: fmt.Sprintf("An element of %q is null.", name), Subject: expr.Range().Ptr()})
		return cty.NilVal, false
	}
	if v.ContainsMarked() {
		l.diags = append(l.diags, sensitiveDiag(expr, name))
		return cty.NilVal, false
	}
	return l.convert(v, expr, ty, name)
}

// convert converts v to ty with a diagnostic on expr when it cannot.
func (l *loader) convert(v cty.Value, expr hcl.Expression, ty cty.Type, name string) (cty.Value, bool) {
	if v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	c, err := convert.Convert(v, ty)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for %q: %s.", name, convertMsg(err, ty)),
			Subject:  expr.Range().Ptr(),
		})
		return cty.NilVal, false
	}
	if c.IsNull() || !c.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return c, true
}

func convertMsg(err error, ty cty.Type) string {
	if ty.IsPrimitiveType() {
		return ty.FriendlyName() + " required"
	}
	return err.Error()
}

func sensitiveDiag(expr hcl.Expression, name string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "sensitive value in a non-secret attribute",
		Detail: fmt.Sprintf("The value of %q comes from a sensitive variable or env(), and %q would be printed in plans and logs. "+
			"Pass secrets through secret_env (or registry.password) instead.", name, name),
		Subject: expr.Range().Ptr(),
	}
}

// secret reads a string that may be sensitive into a Secret whose Ref says
// where it came from.
func (l *loader) secret(attr *hcl.Attribute) (Secret, bool) {
	if attr == nil {
		return Secret{}, false
	}
	v, ok := l.mapValue(attr.Expr, attr.Name, true, true)
	if !ok {
		return Secret{}, false
	}
	return l.newSecret(attr.Expr, v), true
}

func (l *loader) newSecret(expr hcl.Expression, v cty.Value) Secret {
	uv, _ := v.UnmarkDeep()
	if lit, ok := expr.(*hclsyntax.TemplateExpr); ok && lit.IsStringLiteral() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Secret in plain text",
			Detail:  "This secret is written in the configuration itself; read it with env(\"NAME\") or a sensitive variable instead.",
			Subject: expr.Range().Ptr()})
	}
	return NewSecret(l.secretRef(expr), uv.AsString())
}

// secretRef describes where a secret comes from without showing it:
// `env("NAME")`, `var.name`, `local.name`, else the expression's position.
func (l *loader) secretRef(expr hcl.Expression) string {
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		return string(e.SrcRange.SliceBytes(l.source(e.SrcRange.Filename)))
	case *hclsyntax.FunctionCallExpr, *hclsyntax.IndexExpr, *hclsyntax.RelativeTraversalExpr:
		// env("NAME"), secret_cmd([...]), secrets_file("F")["KEY"]: the
		// call as written, when it refers to nothing that may be secret.
		if r := expr.Range(); secretSource(expr) && len(expr.Variables()) == 0 && r.End.Byte-r.Start.Byte <= 200 {
			return string(r.SliceBytes(l.source(r.Filename)))
		}
	}
	r := expr.Range()
	return fmt.Sprintf("expression at %s:%d", r.Filename, r.Start.Line)
}

func (l *loader) source(filename string) []byte {
	if f := l.parser.Files()[filename]; f != nil {
		return f.Bytes
	}
	return nil
}

// secretSource reports whether expr is a call of env, secret_cmd or
// secrets_file, or an index into one.
func secretSource(expr hcl.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.IndexExpr:
		return secretSource(e.Collection)
	case *hclsyntax.RelativeTraversalExpr:
		return secretSource(e.Source)
	case *hclsyntax.FunctionCallExpr:
		return e.Name == "env" || e.Name == "secret_cmd" || e.Name == "secrets_file"
	}
	return false
}
