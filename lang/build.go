package lang

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Build is a service's `build` block: how berth builds the service image
// from source before it plans a deploy.
type Build struct {
	// Context is the absolute path of the build context (the block's
	// context, relative to the configuration directory).
	Context string
	// Dockerfile is the Dockerfile's path relative to Context.
	Dockerfile string
	Target     string
	Args       map[string]string // build arguments (never secrets: they stay in the image history)
	Secrets    map[string]Secret // RUN --mount=type=secret,id=KEY; never in history, plan or output
	Platform   string            // "os/arch[/variant]"; "" = the builder's own
	CacheFrom  []string          // images whose layers may be reused
	CacheTo    []string          // "type=inline": the pushed image carries its cache metadata
	Labels     map[string]string
	// Network is the network of RUN steps: "" (the daemon's default),
	// "none" (a daemon without a bridge, like the lab's) or "host".
	Network string
	Builder Builder
}

// Builder says where the image is built.
type Builder struct {
	// Host is the remote build host reached over SSH ("" = the local
	// Docker daemon, or the one named by DOCKER_HOST). It is a host
	// block's name (HostRef) or an address.
	Host    string
	HostRef bool
	User    string // "" = the ssh block's
	Port    int    // 0 = the ssh block's
}

var buildSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "context", Required: true}, {Name: "dockerfile"}, {Name: "target"}, {Name: "args"},
		{Name: "secrets"}, {Name: "platforms"}, {Name: "cache_from"}, {Name: "cache_to"}, {Name: "labels"}, {Name: "network"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "builder"}},
}

var builderSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "host", Required: true}}}

var (
	platformRe  = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$`)
	buildKeyRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	builderAddr = regexp.MustCompile(`^(?:([a-z_][a-z0-9_.-]*)@)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::([0-9]+))?$`)
)

// decodeBuild reads a service's build block (nil without one).
func (l *loader) decodeBuild(blocks hcl.Blocks) *Build {
	if len(blocks) == 0 {
		return nil
	}
	for _, extra := range blocks[1:] {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate build block",
			Detail: "A service has at most one build block.", Subject: extra.DefRange.Ptr()})
	}
	content, diags := blocks[0].Body.Content(buildSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	b := &Build{Dockerfile: "Dockerfile"}
	l.buildContext(at["context"], b)
	if s, ok := l.str(at["dockerfile"]); ok {
		l.buildDockerfile(at["dockerfile"], s, b)
	} else if b.Context != "" {
		l.buildDockerfile(at["context"], b.Dockerfile, b)
	}
	b.Target, _ = l.str(at["target"])
	b.Args = l.buildMap(at["args"], false)
	b.Labels = l.buildMap(at["labels"], false)
	if m, ok := l.strMap(at["secrets"], true); ok {
		b.Secrets = map[string]Secret{}
		for _, e := range m {
			if l.checkBuildKey(at["secrets"], e) {
				b.Secrets[e.key] = l.newSecret(e.expr, e.val)
			}
		}
	}
	b.Platform = l.buildPlatform(at["platforms"])
	if s, ok := l.str(at["network"]); ok {
		if s != "default" && s != "none" && s != "host" {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid build network",
				Detail: "The network of the build's RUN steps is \"default\", \"none\" or \"host\".", Subject: at["network"].Expr.Range().Ptr()})
		} else if s != "default" {
			b.Network = s
		}
	}
	b.CacheFrom = l.cacheFrom(at["cache_from"])
	b.CacheTo = l.cacheTo(at["cache_to"])
	for i, blk := range content.Blocks {
		if i > 0 {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate builder block",
				Detail: "A build block has at most one builder block.", Subject: blk.DefRange.Ptr()})
			continue
		}
		b.Builder = l.decodeBuilder(blk)
	}
	return b
}

// buildContext resolves the context folder against the configuration directory.
func (l *loader) buildContext(a *hcl.Attribute, b *Build) {
	s, ok := l.str(a)
	if !ok {
		return
	}
	dir := s
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(l.opts.Dir, s)
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(abs); err == nil && !fi.IsDir() {
			err = fmt.Errorf("not a folder")
		}
	}
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid build context",
			Detail:  fmt.Sprintf("The build context %q (relative to the configuration directory) must be a folder: %s.", s, cleanPathErr(err)),
			Subject: a.Expr.Range().Ptr()})
		return
	}
	b.Context = abs
}

// buildDockerfile checks that the Dockerfile is a file inside the context.
func (l *loader) buildDockerfile(a *hcl.Attribute, s string, b *Build) {
	if b.Context == "" {
		return
	}
	clean := filepath.Clean(s)
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid dockerfile",
			Detail: "The dockerfile is a path inside the build context, relative to it.", Subject: a.Expr.Range().Ptr()})
		return
	}
	if fi, err := os.Stat(filepath.Join(b.Context, clean)); err != nil || fi.IsDir() {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing Dockerfile",
			Detail:  fmt.Sprintf("There is no file %q in the build context %s.", clean, b.Context),
			Subject: a.Expr.Range().Ptr()})
		return
	}
	b.Dockerfile = filepath.ToSlash(clean)
}

func cleanPathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// buildMap reads args or labels: plain strings, never sensitive (build
// arguments stay in the image's history for anyone who pulls it).
func (l *loader) buildMap(a *hcl.Attribute, secret bool) map[string]string {
	m, ok := l.strMap(a, secret)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, e := range m {
		if l.checkBuildKey(a, e) {
			out[e.key] = e.val.AsString()
		}
	}
	return out
}

func (l *loader) checkBuildKey(a *hcl.Attribute, e elem) bool {
	if buildKeyRe.MatchString(e.key) {
		return true
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + a.Name + " key",
		Detail:  fmt.Sprintf("%q is not a valid name: letters, digits, '_', '.' and '-', starting with a letter or '_'.", e.key),
		Subject: e.expr.Range().Ptr()})
	return false
}

// buildPlatform reads platforms: dockerd's builder builds one platform
// per build, so one is accepted.
func (l *loader) buildPlatform(a *hcl.Attribute) string {
	list, ok := l.strList(a)
	if !ok || len(list) == 0 {
		return ""
	}
	for _, e := range list {
		if !platformRe.MatchString(e.val.AsString()) {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid platform",
				Detail:  fmt.Sprintf("%q is not a platform such as \"linux/amd64\" or \"linux/arm64/v8\".", e.val.AsString()),
				Subject: e.expr.Range().Ptr()})
			return ""
		}
	}
	if len(list) > 1 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Several platforms",
			Detail:  "berth builds through the Docker Engine's own build API, which builds one platform at a time; a multi-platform image needs docker buildx. List one platform.",
			Subject: list[1].expr.Range().Ptr()})
		return ""
	}
	return list[0].val.AsString()
}

// cacheFrom reads image references whose layers the build may reuse.
func (l *loader) cacheFrom(a *hcl.Attribute) []string {
	list, _ := l.strList(a)
	var out []string
	for _, e := range list {
		s := strings.TrimPrefix(e.val.AsString(), "type=registry,ref=")
		if _, err := parseImage(s); err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid cache_from",
				Detail:  fmt.Sprintf("cache_from lists images (or \"type=registry,ref=IMAGE\"): %s.", err),
				Subject: e.expr.Range().Ptr()})
			continue
		}
		out = append(out, s)
	}
	return out
}

// cacheTo reads where the build cache goes: the Engine's builder exports
// it inline only, into the image it pushes.
func (l *loader) cacheTo(a *hcl.Attribute) []string {
	list, _ := l.strList(a)
	var out []string
	for _, e := range list {
		if s := e.val.AsString(); s != "type=inline" {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported cache_to",
				Detail:  fmt.Sprintf("%q: the Docker Engine's builder exports its cache only inline, into the pushed image (\"type=inline\"); use that image in cache_from.", s),
				Subject: e.expr.Range().Ptr()})
			continue
		}
		out = append(out, "type=inline")
	}
	return out
}

// decodeBuilder reads `builder { host = host.NAME | "[user@]address[:port]" }`.
func (l *loader) decodeBuilder(blk *hcl.Block) Builder {
	content, diags := blk.Body.Content(builderSchema)
	l.diags = append(l.diags, diags...)
	a := content.Attributes["host"]
	if a == nil {
		return Builder{}
	}
	if _, isRef := a.Expr.(*hclsyntax.ScopeTraversalExpr); isRef {
		if name, ok := l.hostRef(a.Expr); ok {
			return Builder{Host: name, HostRef: true}
		}
		return Builder{}
	}
	s, ok := l.str(a)
	if !ok {
		return Builder{}
	}
	m := builderAddr.FindStringSubmatch(s)
	port := 0
	if m != nil && m[3] != "" {
		port, _ = strconv.Atoi(m[3])
	}
	if m == nil || (m[3] != "" && (port < 1 || port > 65535)) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid build host",
			Detail: "builder.host is host.NAME or \"[user@]address[:port]\" of a machine with Docker, reached over SSH.", Subject: a.Expr.Range().Ptr()})
		return Builder{}
	}
	return Builder{Host: strings.Trim(m[2], "[]"), User: m[1], Port: port}
}

// SortedKeys returns the keys of m in order (args, labels, secrets).
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
