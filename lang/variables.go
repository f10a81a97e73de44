package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "condition", Required: true}, {Name: "error_message", Required: true}},
}

// variable is a decoded `variable` block and its final value.
type variable struct {
	name        string
	block       *hcl.Block
	ty          cty.Type
	def         cty.Value // cty.NilVal when there is no default
	defRange    hcl.Range
	sensitive   bool
	validations []*hcl.BodyContent

	value      cty.Value // unmarked
	valueRange *hcl.Range
}

// decodeVariables decodes the variable blocks and gives each its value:
// default < --var-file < BERTH_VAR_<name> < --var.
func (l *loader) decodeVariables(blocks []*hcl.Block) []*variable {
	var vars []*variable
	byName := map[string]*variable{}
	for _, b := range blocks {
		v := l.decodeVariable(b)
		if v == nil {
			continue
		}
		vars = append(vars, v)
		byName[v.name] = v
	}
	for _, path := range l.opts.VarFiles {
		l.readVarFile(path, byName)
	}
	for _, v := range vars {
		if raw, ok := l.env["BERTH_VAR_"+v.name]; ok {
			l.setRaw(v, raw, "the environment variable BERTH_VAR_"+v.name)
		}
	}
	for _, kv := range l.opts.Vars {
		name, raw, ok := strings.Cut(kv, "=")
		if !ok {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid --var option",
				Detail: fmt.Sprintf("The option --var %q is not of the form NAME=VALUE.", name)})
			continue
		}
		v := byName[strings.TrimSpace(name)]
		if v == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Value for undeclared variable",
				Detail: fmt.Sprintf("A value was given with --var for %q, but no variable of that name is declared.", name)})
			continue
		}
		l.setRaw(v, raw, "--var")
	}
	for _, v := range vars {
		l.finishVariable(v)
	}
	return vars
}

func (l *loader) decodeVariable(b *hcl.Block) *variable {
	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	v := &variable{name: b.Labels[0], block: b, ty: cty.DynamicPseudoType, def: cty.NilVal}
	if !hclsyntax.ValidIdentifier(v.name) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid variable name",
			Detail: "A variable name must start with a letter or underscore and contain only letters, digits, underscores and dashes.", Subject: b.LabelRanges[0].Ptr()})
		return nil
	}
	if a := content.Attributes["type"]; a != nil {
		ty, d := typeexpr.TypeConstraint(a.Expr)
		l.diags = append(l.diags, d...)
		if !d.HasErrors() {
			v.ty = ty
		}
	}
	if a := content.Attributes["sensitive"]; a != nil {
		val, d := a.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if c, ok := l.convert(val, a.Expr, cty.Bool, "sensitive"); ok {
			v.sensitive = c.True()
		}
	}
	if a := content.Attributes["description"]; a != nil {
		val, d := a.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		l.convert(val, a.Expr, cty.String, "description")
	}
	if a := content.Attributes["default"]; a != nil {
		val, d := a.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if !d.HasErrors() && !val.IsNull() {
			if c, err := convert.Convert(val, v.ty); err != nil {
				l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid default value for variable",
					Detail: fmt.Sprintf("The default of %q is not a %s: %s.", v.name, v.ty.FriendlyName(), err), Subject: a.Expr.Range().Ptr()})
				v.value = cty.DynamicVal
			} else {
				v.def, v.value = c, c
				v.defRange = a.Expr.Range()
			}
		}
	}
	for _, vb := range content.Blocks {
		vc, d := vb.Body.Content(validationSchema)
		l.diags = append(l.diags, d...)
		if !d.HasErrors() {
			vc.MissingItemRange = vb.DefRange
			v.validations = append(v.validations, vc)
		}
	}
	return v
}

// readVarFile reads a --var-file: top-level attributes only.
func (l *loader) readVarFile(path string, byName map[string]*variable) {
	f, diags := l.parseFile(path)
	l.diags = append(l.diags, diags...)
	if f == nil {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := attrs[n]
		v := byName[n]
		if v == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable",
				Detail: fmt.Sprintf("The variable file sets %q, but no variable of that name is declared.", n), Subject: a.NameRange.Ptr()})
			continue
		}
		val, d := a.Expr.Value(nil)
		l.diags = append(l.diags, d...)
		if d.HasErrors() {
			continue
		}
		if v.sensitive {
			l.addSecrets(val)
		}
		l.setValue(v, val, a.Expr.Range().Ptr(), "the variable file")
	}
}

// setRaw sets a value given as text (--var, BERTH_VAR_): a string for a
// primitive type, else an HCL expression.
func (l *loader) setRaw(v *variable, raw, from string) {
	if v.sensitive {
		l.secrets = append(l.secrets, raw)
	}
	if v.ty.IsPrimitiveType() || v.ty == cty.DynamicPseudoType {
		l.setValue(v, cty.StringVal(raw), nil, from)
		return
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), "<value for var."+v.name+">", hcl.InitialPos)
	if diags.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("The value of %q given by %s is not a valid HCL expression.", v.name, from)})
		return
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail: fmt.Sprintf("The value of %q given by %s must be a constant.", v.name, from)})
		return
	}
	l.setValue(v, val, nil, from)
}

func (l *loader) setValue(v *variable, val cty.Value, rng *hcl.Range, from string) {
	c, err := convert.Convert(val, v.ty)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail:  fmt.Sprintf("The value of %q given by %s is not a %s: %s.", v.name, from, v.ty.FriendlyName(), convertMsg(err, v.ty)),
			Subject: rng})
		v.value = cty.DynamicVal
		return
	}
	v.value, v.valueRange = c, rng
}

// finishVariable reports a missing value and marks sensitive values.
func (l *loader) finishVariable(v *variable) {
	if v.value == cty.NilVal || v.value.IsNull() {
		if l.opts.Validate {
			v.value = cty.UnknownVal(v.ty)
		} else {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail:  fmt.Sprintf("The variable %q has no default. Give it a value with --var %s=..., --var-file, or the environment variable BERTH_VAR_%s.", v.name, v.name, v.name),
				Subject: v.block.DefRange.Ptr()})
			v.value = cty.DynamicVal
		}
	}
	if v.sensitive {
		l.addSecrets(v.value)
	}
}

// addSecrets remembers every string inside a sensitive value, to scrub it
// from diagnostics.
func (l *loader) addSecrets(v cty.Value) {
	_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		if e.IsKnown() && !e.IsNull() && e.Type() == cty.String {
			l.secrets = append(l.secrets, e.AsString())
		}
		return true, nil
	})
}

// varObject is the `var` object of the evaluation context.
func varObject(vars []*variable) cty.Value {
	m := map[string]cty.Value{}
	for _, v := range vars {
		val := v.value
		if v.sensitive {
			val = val.Mark(sensitive)
		}
		m[v.name] = val
	}
	return cty.ObjectVal(m)
}

// checkValidations evaluates each variable's validation rules.
func (l *loader) checkValidations(vars []*variable) {
	for _, v := range vars {
		if !v.value.IsWhollyKnown() {
			continue
		}
		for _, vc := range v.validations {
			l.checkValidation(v, vc)
		}
	}
}

func (l *loader) checkValidation(v *variable, vc *hcl.BodyContent) {
	cond := vc.Attributes["condition"]
	for _, t := range cond.Expr.Variables() {
		if name, _ := traversalAttr(t, 1); t.RootName() != "var" || name != v.name {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid reference in variable validation",
				Detail: fmt.Sprintf("The condition of a validation rule may refer only to var.%s.", v.name), Subject: t.SourceRange().Ptr()})
			return
		}
	}
	val, d := l.eval(cond.Expr)
	l.diags = append(l.diags, d...)
	if d.HasErrors() {
		return
	}
	val, _ = val.UnmarkDeep()
	ok, valid := l.convert(val, cond.Expr, cty.Bool, "condition")
	if !valid || ok.True() {
		return
	}
	msg := "The value is not valid."
	if m, d := l.eval(vc.Attributes["error_message"].Expr); !d.HasErrors() {
		if m.IsMarked() {
			msg = "(the error message refers to a sensitive value)"
		} else if s, err := convert.Convert(m, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
			msg = s.AsString()
		}
	}
	subject := cond.Expr.Range()
	if v.valueRange != nil {
		subject = *v.valueRange
	} else if v.def != cty.NilVal && v.value.RawEquals(v.def) {
		subject = v.defRange
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value for variable",
		Detail: fmt.Sprintf("%s\n\nThis was checked by the validation rule at %s.", msg, cond.Expr.Range().String()), Subject: &subject})
}

// renderValue renders a non-sensitive variable value for a plan.
func renderValue(v cty.Value) string {
	if !v.IsWhollyKnown() {
		return "(unknown)"
	}
	if v.IsNull() {
		return "null"
	}
	if v.Type() == cty.String {
		return v.AsString()
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "(unrenderable)"
	}
	return string(b)
}
