package lang

import (
	"github.com/hashicorp/hcl/v2"
)

// overrideBody is a block body with a destination's override merged over
// it, the way Terraform merges override files: an attribute of the
// override replaces the base's attribute of that name, and the nested
// blocks of a type the override has (healthcheck, rolling, ...) replace
// all of the base's nested blocks of that type. The rest of the base stays.
type overrideBody struct {
	base, over hcl.Body
}

var _ hcl.Body = overrideBody{}

// Content merges both bodies' content; a required attribute may come from
// either, and an unknown one in either is an error.
func (b overrideBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	relaxed := optional(schema)
	bc, diags := b.base.Content(relaxed)
	oc, odiags := b.over.Content(relaxed)
	diags = append(diags, odiags...)
	c := merge(bc, oc)
	for _, a := range schema.Attributes {
		if a.Required && c.Attributes[a.Name] == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required argument",
				Detail: "The argument \"" + a.Name + "\" is required, but no definition was found.", Subject: c.MissingItemRange.Ptr()})
		}
	}
	return c, diags
}

// PartialContent is Content for a part of the schema; the rest of both
// bodies is merged the same way.
func (b overrideBody) PartialContent(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	relaxed := optional(schema)
	bc, brest, diags := b.base.PartialContent(relaxed)
	oc, orest, odiags := b.over.PartialContent(relaxed)
	return merge(bc, oc), overrideBody{base: brest, over: orest}, append(diags, odiags...)
}

// JustAttributes merges the attributes, the override's winning.
func (b overrideBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	ba, diags := b.base.JustAttributes()
	oa, odiags := b.over.JustAttributes()
	out := hcl.Attributes{}
	for k, a := range ba {
		out[k] = a
	}
	for k, a := range oa {
		out[k] = a
	}
	return out, append(diags, odiags...)
}

// MissingItemRange is the base's: where the block was declared first.
func (b overrideBody) MissingItemRange() hcl.Range { return b.base.MissingItemRange() }

// optional is schema with no attribute required.
func optional(schema *hcl.BodySchema) *hcl.BodySchema {
	out := &hcl.BodySchema{Blocks: schema.Blocks}
	for _, a := range schema.Attributes {
		a.Required = false
		out.Attributes = append(out.Attributes, a)
	}
	return out
}

// merge lays over over base: attributes by name, nested blocks by type.
func merge(base, over *hcl.BodyContent) *hcl.BodyContent {
	c := &hcl.BodyContent{Attributes: hcl.Attributes{}, MissingItemRange: base.MissingItemRange}
	for k, a := range base.Attributes {
		c.Attributes[k] = a
	}
	for k, a := range over.Attributes {
		c.Attributes[k] = a
	}
	replaced := map[string]bool{}
	for _, blk := range over.Blocks {
		replaced[blk.Type] = true
	}
	for _, blk := range base.Blocks {
		if !replaced[blk.Type] {
			c.Blocks = append(c.Blocks, blk)
		}
	}
	c.Blocks = append(c.Blocks, over.Blocks...)
	return c
}
