package kamal

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// builderUnmapped say why the builder keys berth has no feature for are
// not imported.
var builderUnmapped = map[string]string{
	"cache":      "berth's builds use the builder's local cache and inline cache metadata (cache_from/cache_to take images); set them by hand",
	"driver":     "berth builds through the Docker daemon's BuildKit, without buildx drivers",
	"local":      "berth builds on builder { host } or the local daemon; there is no split between local and remote architectures",
	"ssh":        "berth passes no SSH agent to the build",
	"provenance": "berth's builds attach no provenance attestation",
	"sbom":       "berth's builds attach no SBOM",
	"pack":       "berth builds from a Dockerfile, not with Cloud Native Buildpacks",
}

// build writes Kamal's builder as the service's build block: context
// (Kamal's is relative to the app's root, berth's to the configuration's
// folder), dockerfile, target, args, secrets (names in .kamal/secrets,
// read with env()), arch as platforms and remote as the builder host.
func (c *conv) build(b *hclwrite.Body, root *obj) {
	bo := root.sub("builder")
	if bo == nil {
		return
	}
	b.AppendNewline()
	bb := b.AppendNewBlock("build", nil).Body()
	ctx := "."
	if v, ok := bo.text("context"); ok {
		ctx = v
	}
	attr(bb, "context", quote(c.contextDir(ctx)))
	c.dockerfile(bb, bo, ctx)
	if v, ok := bo.text("target"); ok {
		attr(bb, "target", c.str(v))
	}
	if args := bo.sub("args"); args != nil {
		var kv [][2]string
		for _, k := range args.keys() {
			v, _ := args.text(k)
			kv = append(kv, [2]string{k, c.str(v)})
		}
		attr(bb, "args", mapSrc(kv))
	}
	if names := bo.list("secrets"); len(names) > 0 {
		kv := make([][2]string, len(names))
		for i, n := range names {
			kv[i] = [2]string{n, c.secret(n)}
		}
		comment(bb, "Kamal read these from .kamal/secrets: berth from the environment (or secrets_file(), secret_cmd())")
		c.secretsFiles()
		attr(bb, "secrets", mapSrc(kv))
	}
	c.buildArch(bb, bo)
	if v, ok := bo.text("remote"); ok {
		host := strings.TrimPrefix(v, "ssh://")
		if host == v || strings.ContainsAny(host, "/?") {
			bo.used["remote"] = false // not ssh://[user@]host[:port]: reported below
		} else {
			attr(bb.AppendNewBlock("builder", nil).Body(), "host", quote(host))
		}
	}
	c.rest(bb, bo, builderUnmapped)
}

// dockerfile writes Kamal's dockerfile (default "Dockerfile"), which
// Kamal hands docker as --file, relative to the app's root, as berth's,
// which is relative to the context. One outside the context berth cannot
// read: it is said, and berth's default (the context's own Dockerfile)
// is left, which is another file.
func (c *conv) dockerfile(bb *hclwrite.Body, bo *obj, ctx string) {
	df, given := bo.text("dockerfile")
	if given && (c.erbs.has(df) || filepath.IsAbs(df) || c.erbs.has(ctx) || filepath.IsAbs(ctx)) {
		attr(bb, "dockerfile", c.str(df))
		return
	}
	if !given {
		df = "Dockerfile"
	}
	rel, err := filepath.Rel(filepath.Clean(ctx), filepath.Clean(df))
	switch {
	case err != nil || rel == ".." || strings.HasPrefix(rel, "../"):
		at, key := keyNode(bo, "context"), bo.key("context")
		if given {
			at, key = keyNode(bo, "dockerfile"), bo.key("dockerfile")
		}
		c.warn(at, key, fmt.Sprintf("Kamal builds with %s of the app's root, outside the context %s; berth reads the Dockerfile from inside the context (%s): move it there, or set dockerfile to a path in the context", df, ctx, filepath.ToSlash(filepath.Join(ctx, "Dockerfile"))))
	case rel != "Dockerfile":
		attr(bb, "dockerfile", quote(filepath.ToSlash(rel)))
	}
}

// buildArch writes arch as platforms. berth builds one platform: of
// several, the first is kept, with a warning.
func (c *conv) buildArch(bb *hclwrite.Body, bo *obj) {
	arch := bo.list("arch")
	if len(arch) == 0 {
		return
	}
	p := arch[0]
	if !strings.Contains(p, "/") {
		p = "linux/" + p
	}
	attr(bb, "platforms", listSrc([]string{quote(p)}))
	if len(arch) > 1 {
		c.warn(keyNode(bo, "arch"), bo.key("arch"), "berth builds one platform (multi-platform images need buildx): "+p+" is built, not "+strings.Join(slices.Clone(arch[1:]), ", "))
	}
}

// appPath is the source of a path Kamal takes from the app's root (where
// kamal runs): relative to the folder berth.hcl is written to, like
// contextDir; one under ~, absolute or with ERB as written.
func (c *conv) appPath(p string) string {
	if c.erbs.has(p) || p == "~" || strings.HasPrefix(p, "~/") {
		return c.str(p)
	}
	return quote(c.contextDir(p))
}

// contextDir is Kamal's build context, relative to the app's root (the
// folder holding config/), as a path relative to the folder berth.hcl is
// written to.
func (c *conv) contextDir(ctx string) string {
	if filepath.IsAbs(ctx) {
		return ctx
	}
	dir := filepath.Dir(c.opts.File)
	if filepath.Base(dir) == "config" {
		dir = filepath.Dir(dir)
	}
	out := c.opts.Out
	if out == "" {
		out = "."
	}
	absOut, err1 := filepath.Abs(out)
	absCtx, err2 := filepath.Abs(filepath.Join(dir, ctx))
	if err1 != nil || err2 != nil {
		return ctx
	}
	rel, err := filepath.Rel(absOut, absCtx)
	if err != nil {
		return ctx
	}
	return filepath.ToSlash(rel)
}
