package kamal

import (
	"fmt"
	"os"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// source is one parsed file: its name as shown to the user and its
// document's root mapping, aliases and merge keys resolved.
type source struct {
	name string
	root *yaml.Node
}

// maxFile bounds a configuration file.
const maxFile = 4 << 20

// readFile parses a Kamal YAML file after taking its ERB out (erbs).
func readFile(path string, erbs *erbTable) (*source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the Kamal configuration: %w", err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFile)
	}
	text, err := erbs.extract(path, string(b))
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		r := &resolver{file: path, budget: maxNodes}
		root = r.resolve(doc.Content[0], 0)
		if r.budget < 0 {
			return nil, fmt.Errorf("%s: more than %d values once its aliases are expanded", path, maxNodes)
		}
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: the configuration is a mapping of keys (service:, image:, servers: ...)", path, root.Line)
	}
	return &source{name: path, root: root}, nil
}

// maxNodes bounds a configuration's values once aliases are expanded (a
// few aliases of aliases can otherwise stand for billions of them).
const maxNodes = 100_000

// resolver copies a document with its aliases expanded, within a budget
// of nodes (negative once exceeded).
type resolver struct {
	file   string
	budget int
}

// resolve returns a copy of n with aliases replaced by what they point to
// and `<<` merge keys applied as YAML's merge key and Ruby's Psych apply
// them: the mapping's own keys win over merged ones, and of the mappings
// of `<<: [*a, *b]` the earlier wins. Each node's HeadComment holds the
// file it came from, for notes.
func (r *resolver) resolve(n *yaml.Node, depth int) *yaml.Node {
	r.budget--
	if depth > 100 || r.budget < 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return r.resolve(n.Alias, depth+1)
	}
	c := *n
	c.Content = nil
	c.HeadComment = r.file
	if n.Kind != yaml.MappingNode {
		for _, e := range n.Content {
			c.Content = append(c.Content, r.resolve(e, depth+1))
		}
		return &c
	}
	var own []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], r.resolve(n.Content[i+1], depth+1)
		if k.Value == "<<" && k.Tag == "!!merge" {
			for _, m := range mergeSources(v) {
				c.Content = addKeys(c.Content, m.Content)
			}
			continue
		}
		own = append(own, r.resolve(k, depth+1), v)
	}
	c.Content = setKeys(c.Content, own)
	return &c
}

func mergeSources(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.MappingNode {
		return []*yaml.Node{v}
	}
	var out []*yaml.Node
	for _, e := range v.Content {
		if e.Kind == yaml.MappingNode {
			out = append(out, e)
		}
	}
	return out
}

// setKeys lays the key/value pairs kv over the pairs of content.
func setKeys(content, kv []*yaml.Node) []*yaml.Node {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for j := 0; j+1 < len(content); j += 2 {
			if content[j].Value == kv[i].Value {
				content[j+1] = kv[i+1]
				found = true
			}
		}
		if !found {
			content = append(content, kv[i], kv[i+1])
		}
	}
	return content
}

// addKeys adds the key/value pairs of kv whose key content lacks.
func addKeys(content, kv []*yaml.Node) []*yaml.Node {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for j := 0; j+1 < len(content); j += 2 {
			found = found || content[j].Value == kv[i].Value
		}
		if !found {
			content = append(content, kv[i], kv[i+1])
		}
	}
	return content
}

// deepMerge lays over on base the way Kamal merges a destination's file
// (ActiveSupport's deep_merge): mappings merge key by key, recursively;
// any other value of over (a list, a scalar) replaces base's.
func deepMerge(base, over *yaml.Node) *yaml.Node {
	if base == nil || base.Kind != yaml.MappingNode || over.Kind != yaml.MappingNode {
		return over
	}
	out := *base
	out.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(over.Content); i += 2 {
		k, v := over.Content[i], over.Content[i+1]
		found := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == k.Value {
				if out.Content[j+1].Kind != yaml.MappingNode || v.Kind != yaml.MappingNode {
					out.Content[j] = k // over's value wins: the report names its line
				}
				out.Content[j+1] = deepMerge(out.Content[j+1], v)
				found = true
			}
		}
		if !found {
			out.Content = append(out.Content, k, v)
		}
	}
	return &out
}

// where is a node's position for the user: "config/deploy.yml:12".
func where(n *yaml.Node) string {
	return n.HeadComment + ":" + strconv.Itoa(n.Line)
}

// obj reads a mapping node, remembering which keys were read, so that
// every key nobody read can be reported.
type obj struct {
	n    *yaml.Node
	path string // "servers.web", "" for the root
	used map[string]bool
	// want holds, for a key left unread because its value is of the wrong
	// kind, the kind Kamal takes there ("a mapping").
	want map[string]string
}

func newObj(n *yaml.Node, path string) *obj {
	return &obj{n: n, path: path, used: map[string]bool{}, want: map[string]string{}}
}

// get returns the value of key and marks it read; nil when absent or null.
func (o *obj) get(key string) *yaml.Node {
	if o == nil || o.n == nil || o.n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		if o.n.Content[i].Value == key {
			o.used[key] = true
			delete(o.want, key)
			v := o.n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return nil
			}
			return v
		}
	}
	return nil
}

// sub returns key's value as an obj: nil when absent or null, and when
// it is no mapping (the key is then left unread, for the report).
func (o *obj) sub(key string) *obj {
	v := o.mapping(key)
	if v == nil {
		return nil
	}
	return newObj(v, o.key(key))
}

// mapping returns key's value when it is a mapping; any other value is
// left unread, for the report.
func (o *obj) mapping(key string) *yaml.Node { return o.ofKind(key, yaml.MappingNode, "a mapping") }

// text returns key's value when it is a scalar; a list or a mapping is
// left unread, for the report.
func (o *obj) text(key string) (string, bool) {
	return scalar(o.ofKind(key, yaml.ScalarNode, "a single value"))
}

// list returns key's value as a list of scalars (one scalar is a list of
// one); a mapping is left unread, for the report.
func (o *obj) list(key string) []string {
	v := o.get(key)
	if v != nil && v.Kind == yaml.MappingNode {
		o.used[key], o.want[key] = false, "a list"
		return nil
	}
	return stringList(v)
}

// ofKind returns key's value (nil when absent or null) unless it is not of
// kind k: then nil, and the key is left unread with what Kamal takes.
func (o *obj) ofKind(key string, k yaml.Kind, what string) *yaml.Node {
	v := o.get(key)
	if v == nil || v.Kind == k {
		return v
	}
	o.used[key], o.want[key] = false, what
	return nil
}

// kindName names the kind of a value for the report.
func kindName(v *yaml.Node) string {
	switch {
	case v == nil || v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return "nothing (null)"
	case v.Kind == yaml.SequenceNode:
		return "a list"
	case v.Kind == yaml.MappingNode:
		return "a mapping"
	}
	return "a single value"
}

// key is the dotted path of one of o's keys.
func (o *obj) key(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// keys are o's keys in file order.
func (o *obj) keys() []string {
	if o == nil || o.n == nil {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		out = append(out, o.n.Content[i].Value)
	}
	return out
}

// unread are the keys nobody read, with their key nodes (for the line).
func (o *obj) unread() []*yaml.Node {
	if o == nil || o.n == nil {
		return nil
	}
	var out []*yaml.Node
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		if !o.used[o.n.Content[i].Value] {
			out = append(out, o.n.Content[i])
		}
	}
	return out
}

// scalar is a scalar node's text; ok is false for anything else.
func scalar(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

// strings reads a scalar or a list of scalars.
func stringList(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if s, ok := scalar(n); ok {
		return []string{s}
	}
	var out []string
	for _, e := range n.Content {
		if s, ok := scalar(e); ok {
			out = append(out, s)
		}
	}
	return out
}

// pairs reads a mapping of scalars in file order.
func pairs(n *yaml.Node) [][2]string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]string
	for i := 0; i+1 < len(n.Content); i += 2 {
		v, _ := scalar(n.Content[i+1])
		out = append(out, [2]string{n.Content[i].Value, v})
	}
	return out
}
