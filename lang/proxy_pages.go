package lang

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// maxErrorPages bounds the size of an error_pages folder (its HTML files).
const maxErrorPages = 1 << 20

// ErrorPages is a role's `error_pages` folder: the HTML templates that
// kamal-proxy answers errors with (503.html in maintenance, with
// {{ .Message }}), read when the configuration is loaded.
type ErrorPages struct {
	Dir   string            // as written, relative to the configuration directory
	Files map[string][]byte // NAME.html -> contents
}

// Names are the page files, sorted.
func (p *ErrorPages) Names() []string {
	names := make([]string, 0, len(p.Files))
	for n := range p.Files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// decodeErrorPages reads the error_pages folder of a role's proxy block:
// its *.html files, each a valid html/template (kamal-proxy parses them).
func (l *loader) decodeErrorPages(attr *hcl.Attribute) *ErrorPages {
	dir, ok := l.str(attr)
	if !ok {
		return nil
	}
	fail := func(detail string) *ErrorPages {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid error_pages",
			Detail: detail, Subject: attr.Expr.Range().Ptr()})
		return nil
	}
	path := dir
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.opts.Dir, path)
	}
	matches, err := filepath.Glob(filepath.Join(path, "*.html"))
	if err != nil || len(matches) == 0 {
		return fail(fmt.Sprintf("error_pages is a folder of HTML pages named by status, such as 503.html and 404.html; %s has none.", dir))
	}
	pages := &ErrorPages{Dir: dir, Files: map[string][]byte{}}
	total := 0
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			return fail(fmt.Sprintf("%s: %v", filepath.Base(m), err))
		}
		if total += len(b); total > maxErrorPages {
			return fail(fmt.Sprintf("the pages in %s are larger than %d bytes together.", dir, maxErrorPages))
		}
		name := filepath.Base(m)
		if _, err := template.New(name).Parse(string(b)); err != nil {
			return fail(fmt.Sprintf("%s is not a valid template (kamal-proxy renders it with {{ .Message }}): %v", name, strings.TrimPrefix(err.Error(), "template: ")))
		}
		pages.Files[name] = b
	}
	return pages
}
