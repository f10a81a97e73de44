package kamal

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"go.yaml.in/yaml/v3"
)

// DefaultFile is where Kamal keeps its configuration.
const DefaultFile = "config/deploy.yml"

// Options say what to import.
type Options struct {
	File        string // default DefaultFile
	Destination string // "" = the base file alone
	// Reserved are names an alias may not take (berth's own commands); an
	// alias of Kamal's with one of them is imported as kamal-NAME.
	Reserved []string
	// Out is the folder berth.hcl is written to ("" = the current one):
	// the paths Kamal takes from the app's root (builder.context,
	// error_pages_path) are written relative to it.
	Out string
	// VersionVariable declares a variable "version" (the image tag to
	// deploy), for a directory outside git, where berth, like Kamal, would
	// take the version from git HEAD.
	VersionVariable bool
}

// ErrConfig marks a Kamal configuration that cannot be imported at all
// (no service or image, not YAML, a destination without its file).
var ErrConfig = errors.New("cannot import the Kamal configuration")

// Import reads the Kamal configuration and returns it as berth HCL.
func Import(opts Options) (*Result, error) {
	if opts.File == "" {
		opts.File = DefaultFile
	}
	erbs := newERBTable()
	base, err := readFile(opts.File, erbs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	root, files := base.root, []string{opts.File}
	if opts.Destination != "" {
		df := DestinationFile(opts.File, opts.Destination)
		over, err := readFile(df, erbs)
		if err != nil {
			return nil, fmt.Errorf("%w: destination %s: %w", ErrConfig, opts.Destination, err)
		}
		root, files = deepMerge(root, over.root), append(files, df)
	}
	c := &conv{opts: opts, erbs: erbs, hostByAddr: map[string]string{}, res: &Result{Files: files}}
	if err := c.convert(newObj(root, "")); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c.res.Unmapped, c.res.Warnings = sortNotes(c.notes.unmapped), sortNotes(c.notes.warnings)
	return c.res, nil
}

// DestinationFile is the overlay of a destination next to file, as Kamal
// names it: config/deploy.yml → config/deploy.staging.yml.
func DestinationFile(file, destination string) string {
	ext := filepath.Ext(file)
	return strings.TrimSuffix(file, ext) + "." + destination + ext
}

// conv is the state of one conversion.
type conv struct {
	opts  Options
	erbs  *erbTable
	res   *Result
	notes notes

	service    string
	image      string // the repository, registry server included
	sshUser    string
	hosts      []hostDecl
	hostByAddr map[string]string
	roles      []roleDecl
	primary    string
	sections   []*hclwrite.File
	root       *obj
	proxied    bool       // a role runs behind the proxy
	vars       []extraVar // variables to fill in besides ERB's
	// secretsNoted: Kamal's secrets files were looked for.
	secretsNoted bool
}

type hostDecl struct {
	name, address string
	tags          []string
}

type roleDecl struct {
	name  string
	hosts []string // host names
}

// section starts a new part of the output file.
func (c *conv) section() *hclwrite.Body {
	f := hclwrite.NewEmptyFile()
	c.sections = append(c.sections, f)
	return f.Body()
}

func (c *conv) convert(root *obj) error {
	svc, ok := root.text("service")
	if !ok {
		return errors.New("no service: Kamal's configuration names its service (service: myapp)")
	}
	img, ok := root.text("image")
	if !ok {
		return errors.New("no image: Kamal's configuration names its image (image: myuser/myapp)")
	}
	c.service, c.res.Service, c.root = svc, svc, root
	header := c.section()
	comment(header, "Imported from "+strings.Join(c.res.Files, " + ")+" by `berth import kamal`.")
	comment(header, "Every Kamal key berth does not map yet is a comment at its place, marked \"kamal:\".")
	svcBody := c.section()
	vars := c.section()
	regBody := c.section()
	c.image = c.registry(regBody, root, img)
	c.serviceBlock(svcBody, root, svc)
	c.ssh(c.section(), root)
	c.servers(root)
	hosts := c.section() // written once the accessories declared theirs
	c.writeRoles(root)
	c.accessories(root)
	c.writeHosts(hosts)
	c.deploy(c.section(), root)
	c.aliases(c.section(), root)
	c.leftovers(c.section(), root)
	c.variables(vars)
	c.res.HCL = c.bytes()
	return nil
}

// bytes joins the sections, formatted.
func (c *conv) bytes() []byte {
	var b bytes.Buffer
	for _, f := range c.sections {
		out := bytes.TrimSpace(f.Bytes())
		if len(out) == 0 {
			continue
		}
		b.Write(out)
		b.WriteString("\n\n")
	}
	return hclwrite.Format(bytes.TrimRight(b.Bytes(), "\n"))
}

// serviceBlock writes the service block, with the takeover of the Kamal
// app that runs on the hosts.
func (c *conv) serviceBlock(body *hclwrite.Body, root *obj, name string) {
	blk := body.AppendNewBlock("service", []string{name})
	b := blk.Body()
	attr(b, "image", c.str(c.image))
	c.build(b, root)
	if v := root.get("require_destination"); v != nil {
		if s, _ := scalar(v); s == "true" && c.opts.Destination == "" {
			attr(b, "require_destination", "true")
			c.res.RequireDestination = true
			c.warn(v, "require_destination", "Kamal refuses to run without a destination; this import is of the base file alone: import each destination with --destination NAME")
		} else if s == "true" {
			comment(b, "kamal: require_destination: this file is the merge for destination "+c.opts.Destination)
		}
	}
	b.AppendNewline()
	comment(b, "Kamal's running containers of this service are its current version: the first")
	comment(b, "apply replaces them (primary first, behind the barrier), stopped and kept; a running")
	comment(b, "kamal-proxy is adopted as the host's proxy. See README, \"Coming from Kamal\".")
	tb := b.AppendNewBlock("takeover", nil).Body()
	attr(tb, "from", quote("kamal"))
	if c.opts.Destination != "" {
		attr(tb, "destination", quote(c.opts.Destination))
	}
}

// str is the source of a string value: a quoted literal, or, where it
// holds ERB, a variable reference or a template with it.
func (c *conv) str(s string) string {
	if !c.erbs.has(s) {
		return quote(s)
	}
	if e := c.erbs.lookup(s); e != nil && c.erbs.marker.FindString(s) == s {
		return "var." + e.varName
	}
	var b strings.Builder
	last := 0
	for _, m := range c.erbs.marker.FindAllStringIndex(s, -1) {
		b.WriteString(unquoted(s[last:m[0]]))
		if e := c.erbs.lookup(s[m[0]:m[1]]); e != nil {
			b.WriteString("${var." + e.varName + "}")
		} else {
			b.WriteString(unquoted(s[m[0]:m[1]]))
		}
		last = m[1]
	}
	b.WriteString(unquoted(s[last:]))
	return `"` + b.String() + `"`
}

// unquoted is s escaped for the inside of an HCL quoted string.
func unquoted(s string) string {
	q := quote(s)
	return q[1 : len(q)-1]
}

// value is the source of a scalar where berth takes a number: an integer
// as Kamal's Ruby reads it (0x1F is 31, 1_000 is 1000) in decimal, any
// other value a string.
func (c *conv) value(n *yaml.Node) string {
	if t, k := rubyScalar(n); k == rubyInteger {
		return t
	}
	s, _ := scalar(n)
	return c.str(s)
}

// envValue is the source of an env value: the string Kamal passes to
// docker, Ruby's to_s of what its YAML reader made of the scalar (yes is
// "true", 0x1F "31", .inf "Infinity", 1e3 "1e3"); null is "".
func (c *conv) envValue(n *yaml.Node) string {
	if n == nil {
		return quote("")
	}
	if t, k := rubyScalar(n); k != rubyString {
		return quote(t)
	}
	return c.str(n.Value)
}

// secret is the source of a secret of that name: from the environment,
// where Kamal reads it from .kamal/secrets.
func (c *conv) secret(name string) string {
	if e := c.erbs.lookup(name); e != nil && e.env != "" {
		return `env(` + quote(e.env) + `)`
	} else if e != nil {
		c.erbs.byVar[e.varName].sensitive = true
		return "var." + e.varName
	}
	return `env(` + quote(name) + `)`
}

// unmapped notes a key berth does not map, as a comment in body and in
// the report; the comment shows the key's YAML.
func (c *conv) unmapped(body *hclwrite.Body, key *yaml.Node, val *yaml.Node, path, why string) {
	c.notes.add(&c.notes.unmapped, Note{At: where(key), Key: path, Message: why})
	if body == nil {
		return
	}
	text := "kamal: " + path + " (" + where(key) + ") is not imported: " + why
	if val != nil && !secretKey(path) {
		if y := c.yamlText(key.Value, val); y != "" {
			text += "\n" + y
		}
	}
	comment(body, text)
}

// warn notes a key that was mapped with a caveat.
func (c *conv) warn(at *yaml.Node, path, msg string) {
	c.notes.add(&c.notes.warnings, Note{At: where(at), Key: path, Message: msg})
}

// secretKey reports whether a key's value must not be shown in a comment.
func secretKey(path string) bool {
	for _, k := range []string{"key_data", "password", "private_key", "certificate_pem", "registry"} {
		if strings.Contains(path, k) {
			return true
		}
	}
	return false
}

// yamlText renders key: value as YAML for a comment, ERB restored.
func (c *conv) yamlText(key string, val *yaml.Node) string {
	m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, stripped(val)}}
	out, err := yaml.Marshal(m)
	if err != nil {
		return ""
	}
	text := strings.TrimRight(c.erbs.restore(string(out)), "\n")
	if strings.Count(text, "\n") > 30 {
		return ""
	}
	return "  " + strings.ReplaceAll(text, "\n", "\n  ")
}

// stripped copies a node without the file names kept in HeadComment.
func stripped(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.Content = "", nil
	for _, e := range n.Content {
		c.Content = append(c.Content, stripped(e))
	}
	return &c
}

// rest notes every key of o that nothing read, with why.
func (c *conv) rest(body *hclwrite.Body, o *obj, why map[string]string) {
	for _, k := range o.unread() {
		v := c.valueOf(o, k)
		msg, ok := why[k.Value]
		if !ok {
			msg = "berth has no equivalent for it"
		}
		if want, bad := o.want[k.Value]; bad {
			msg = "Kamal takes " + want + " here, not " + kindName(v)
		}
		c.unmapped(body, k, v, o.key(k.Value), msg)
		o.used[k.Value] = true
	}
}

func (c *conv) valueOf(o *obj, k *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(o.n.Content); i += 2 {
		if o.n.Content[i] == k {
			return o.n.Content[i+1]
		}
	}
	return nil
}
