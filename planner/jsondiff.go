package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// object is a JSON object that keeps its keys in document order, so that
// a comparison reports the first field in the order the plan file lists them.
type object struct {
	keys []string
	vals map[string]any
}

// jsonTree encodes v as JSON and decodes it into *object, []any, string,
// json.Number, bool and nil values.
func jsonTree(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return decodeValue(dec)
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{vals: map[string]any{}}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			if _, dup := o.vals[k]; !dup {
				o.keys = append(o.keys, k)
			}
			o.vals[k] = v
		}
		_, err := dec.Token() // '}'
		return o, err
	case json.Delim('['):
		arr := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err := dec.Token() // ']'
		return arr, err
	}
	return tok, nil
}

// Details of a difference.
const (
	notRederived = "not in the re-derived plan"
	notInFile    = "in the re-derived plan, not in the file"
)

// firstDiff returns the path of the first difference between a (the file)
// and b (the re-derived plan) and what it is. Absent, null, {} and [] are
// all "empty" and equal.
func firstDiff(path string, a, b any) (string, string, bool) {
	if empty(a) && empty(b) {
		return "", "", false
	}
	switch av := a.(type) {
	case *object:
		if bv, ok := b.(*object); ok {
			return objectDiff(path, av, bv)
		}
	case []any:
		if bv, ok := b.([]any); ok {
			return arrayDiff(path, av, bv)
		}
	default:
		if a == b {
			return "", "", false
		}
	}
	return path, render(a) + " in the file, " + render(b) + " re-derived", true
}

func objectDiff(path string, a, b *object) (string, string, bool) {
	keys := slices.Clone(a.keys)
	for _, k := range b.keys {
		if _, ok := a.vals[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		av, aok := a.vals[k]
		bv, bok := b.vals[k]
		if ignored(path, k, av, bv) {
			continue
		}
		p := fieldPath(path, k)
		switch {
		case aok && !bok && !empty(av):
			return p, notRederived, true
		case bok && !aok && !empty(bv):
			return p, notInFile, true
		}
		if p, d, ok := firstDiff(p, av, bv); ok {
			return p, d, true
		}
	}
	return "", "", false
}

func arrayDiff(path string, a, b []any) (string, string, bool) {
	ak, aok := elementKeys(a)
	bk, bok := elementKeys(b)
	if !aok || !bok {
		return positionalDiff(path, a, b)
	}
	at := make(map[string]int, len(ak))
	for i, k := range ak {
		at[k] = i
	}
	bt := make(map[string]int, len(bk))
	for i, k := range bk {
		bt[k] = i
	}
	for i, k := range ak {
		j, ok := bt[k]
		if !ok {
			return path + "[" + k + "]", notRederived, true
		}
		if p, d, ok := firstDiff(path+"["+k+"]", a[i], b[j]); ok {
			return p, d, true
		}
	}
	for _, k := range bk {
		if _, ok := at[k]; !ok {
			return path + "[" + k + "]", notInFile, true
		}
	}
	if !slices.Equal(ak, bk) {
		return path, "in another order: " + strings.Join(ak, ", ") + " in the file, " + strings.Join(bk, ", ") + " re-derived", true
	}
	return "", "", false
}

// positionalDiff compares arrays element by element: a list of scalars
// (cmd, ports, depends_on) as a whole, other lists by index.
func positionalDiff(path string, a, b []any) (string, string, bool) {
	if scalars(a) && scalars(b) {
		if !slices.Equal(a, b) {
			return path, render(a) + " in the file, " + render(b) + " re-derived", true
		}
		return "", "", false
	}
	for i := range max(len(a), len(b)) {
		p := path + "[" + strconv.Itoa(i) + "]"
		switch {
		case i >= len(b):
			return p, notRederived, true
		case i >= len(a):
			return p, notInFile, true
		}
		if p, d, ok := firstDiff(p, a[i], b[i]); ok {
			return p, d, true
		}
	}
	return "", "", false
}

// elementKeys names each element of a list of objects by what identifies
// it: an "id" (steps, containers), an "address" (changes), a "name" (hosts,
// variables) or a "field" (reasons). ok is false unless every element has
// a key and no two share one.
func elementKeys(arr []any) ([]string, bool) {
	keys := make([]string, 0, len(arr))
	seen := map[string]bool{}
	for _, e := range arr {
		o, ok := e.(*object)
		if !ok {
			return nil, false
		}
		k := elementKey(o)
		if k == "" || seen[k] {
			return nil, false
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys, true
}

func elementKey(o *object) string {
	for _, f := range []string{"id", "name", "field"} {
		if s, ok := o.vals[f].(string); ok && s != "" {
			return s
		}
	}
	if a, ok := o.vals["address"].(*object); ok {
		str := func(k string) string { s, _ := a.vals[k].(string); return s }
		proxy, _ := a.vals["proxy"].(bool)
		addr := Address{Host: str("host"), Role: str("role"), Accessory: str("accessory"), Proxy: proxy}
		return addr.String()
	}
	return ""
}

func scalars(arr []any) bool {
	for _, e := range arr {
		switch e.(type) {
		case *object, []any:
			return false
		}
	}
	return true
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case *object:
		return len(x.keys) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// fieldPath appends an object key: ".key", or `["key.with.dots"]`.
func fieldPath(path, key string) string {
	if !identRE.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// render shows a value in a message, compactly, cut at 200 bytes.
func render(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return "nothing"
	case *object:
		s = "{" + strings.Join(x.keys, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		s = "[" + strings.Join(parts, ", ") + "]"
	case string:
		s = strconv.Quote(x)
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
