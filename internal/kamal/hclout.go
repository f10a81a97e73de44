package kamal

import (
	"regexp"

	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Tokens of the HCL being written. Expressions are built as text and
// parsed back by hclwrite, so every token is one hclwrite made itself.

// raw parses the expression src into tokens. src is built by this package
// only, from escaped parts.
func raw(src string) hclwrite.Tokens {
	f, diags := hclwrite.ParseConfig([]byte("x = "+src+"\n"), "", hcl.InitialPos)
	if diags.HasErrors() {
		return hclwrite.TokensForValue(cty.StringVal(src))
	}
	return f.Body().GetAttribute("x").Expr().BuildTokens(nil)
}

// quote is s as an HCL quoted string literal, template sequences escaped.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '"':
			b.WriteString(`\"`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// objectKey is k as an object key: bare when it is an identifier.
func objectKey(k string) string {
	if identRe.MatchString(k) && hclsyntax.ValidIdentifier(k) {
		return k
	}
	return quote(k)
}

// listSrc is the source of a tuple of element sources.
func listSrc(elems []string) string {
	return "[" + strings.Join(elems, ", ") + "]"
}

// mapSrc is the source of an object of key and value sources.
func mapSrc(kv [][2]string) string {
	if len(kv) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, p := range kv {
		b.WriteString(objectKey(p[0]) + " = " + p[1] + "\n")
	}
	b.WriteString("}")
	return b.String()
}

// comment appends "# text" lines to body.
func comment(body *hclwrite.Body, text string) {
	var toks hclwrite.Tokens
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComment, Bytes: []byte("# " + line + "\n")})
	}
	body.AppendUnstructuredTokens(toks)
}

// attr sets name to the expression src in body.
func attr(body *hclwrite.Body, name, src string) {
	body.SetAttributeRaw(name, raw(src))
}
