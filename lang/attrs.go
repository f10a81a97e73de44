package lang

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Reading attributes of one type each (string, bool, integer, duration,
// lists and maps of strings, secrets), with a diagnostic at the attribute
// or element that is wrong.

func (l *loader) str(attr *hcl.Attribute) (string, bool) {
	if attr == nil {
		return "", false
	}
	v, ok := l.value(attr.Expr, cty.String, attr.Name)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

func (l *loader) boolean(attr *hcl.Attribute) (bool, bool) {
	if attr == nil {
		return false, false
	}
	v, ok := l.value(attr.Expr, cty.Bool, attr.Name)
	if !ok {
		return false, false
	}
	return v.True(), true
}

// integer reads a whole number in [min, max].
func (l *loader) integer(attr *hcl.Attribute, lo, hi int) (int, bool) {
	if attr == nil {
		return 0, false
	}
	v, ok := l.value(attr.Expr, cty.Number, attr.Name)
	if !ok {
		return 0, false
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || i < int64(lo) || i > int64(hi) {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid number",
			Detail:   fmt.Sprintf("%q must be a whole number from %d to %d.", attr.Name, lo, hi),
			Subject:  attr.Expr.Range().Ptr(),
		})
		return 0, false
	}
	return int(i), true
}

// duration reads a positive Go duration such as "10s" or "1m30s".
func (l *loader) duration(attr *hcl.Attribute) (time.Duration, bool) {
	s, ok := l.str(attr)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid duration",
			Detail:   fmt.Sprintf("%q must be a positive duration such as \"500ms\", \"10s\" or \"5m\"; %q is not.", attr.Name, s),
			Subject:  attr.Expr.Range().Ptr(),
		})
		return 0, false
	}
	return d, true
}

// elem is one element of a list or map attribute with its own range.
type elem struct {
	key  string
	expr hcl.Expression
	val  cty.Value // known, non-null, unmarked unless secret
}

// strList reads a list of strings, element by element when the expression
// is a literal list so that diagnostics point at the element.
func (l *loader) strList(attr *hcl.Attribute) ([]elem, bool) {
	if attr == nil {
		return nil, false
	}
	if _, isTuple := attr.Expr.(*hclsyntax.TupleConsExpr); isTuple {
		exprs, diags := hcl.ExprList(attr.Expr)
		if !diags.HasErrors() {
			out := []elem{}
			all := true
			for _, e := range exprs {
				v, ok := l.element(e, cty.String, attr.Name)
				if !ok {
					all = false
					continue
				}
				out = append(out, elem{expr: e, val: v})
			}
			return out, all
		}
	}
	v, ok := l.value(attr.Expr, cty.List(cty.String), attr.Name)
	if !ok {
		return nil, false
	}
	out := []elem{}
	for it := v.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		if ev.IsNull() || !ev.IsKnown() {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid list element",
				Detail:   fmt.Sprintf("%q must not contain null.", attr.Name),
				Subject:  attr.Expr.Range().Ptr(),
			})
			return nil, false
		}
		out = append(out, elem{expr: attr.Expr, val: ev})
	}
	return out, true
}

// strMap reads a map of strings; with secret, sensitive values are
// allowed (and kept marked). A literal object is read pair by pair, so that
// diagnostics point at the pair.
func (l *loader) strMap(attr *hcl.Attribute, secret bool) ([]elem, bool) {
	if attr == nil {
		return nil, false
	}
	if _, isObj := attr.Expr.(*hclsyntax.ObjectConsExpr); isObj {
		if pairs, diags := hcl.ExprMap(attr.Expr); !diags.HasErrors() {
			return l.strPairs(attr, pairs, secret)
		}
	}
	v, diags := l.eval(attr.Expr)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil, false
	}
	if !secret && v.ContainsMarked() {
		l.diags = append(l.diags, sensitiveDiag(attr.Expr, attr.Name))
		return nil, false
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil, false
	}
	uv, pvm := v.UnmarkDeepWithPaths()
	c, err := convert.Convert(uv, cty.Map(cty.String))
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for %q: a map of strings is required.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
		return nil, false
	}
	marked := len(pvm) > 0 || v.IsMarked()
	var out []elem
	for it := c.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		if ev.IsNull() {
			continue
		}
		if marked {
			ev = ev.Mark(sensitive)
		}
		out = append(out, elem{key: k.AsString(), expr: attr.Expr, val: ev})
	}
	return out, true
}

// strPairs reads the pairs of a literal object as a map of strings.
func (l *loader) strPairs(attr *hcl.Attribute, pairs []hcl.KeyValuePair, secret bool) ([]elem, bool) {
	var out []elem
	all := true
	for _, p := range pairs {
		k, ok := l.element(p.Key, cty.String, attr.Name+" key")
		if !ok {
			all = false
			continue
		}
		v, ok := l.mapValue(p.Value, attr.Name, secret, false)
		if !ok {
			all = false
			continue
		}
		out = append(out, elem{key: k.AsString(), expr: p.Value, val: v})
	}
	return out, all
}

func (l *loader) mapValue(expr hcl.Expression, name string, secret, nullOK bool) (cty.Value, bool) {
	if !secret {
		return l.element(expr, cty.String, name)
	}
	v, diags := l.eval(expr)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		if !nullOK {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Null value",
				Detail: fmt.Sprintf("A value of %q is null.", name), Subject: expr.Range().Ptr()})
		}
		return cty.NilVal, false
	}
	uv, marks := v.UnmarkDeep()
	c, ok := l.convert(uv, expr, cty.String, name)
	if !ok {
		return cty.NilVal, false
	}
	return c.WithMarks(marks), true
}
