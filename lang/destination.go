package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// A destination (--destination NAME) is the base configuration (the
// directory's *.hcl files) with NAME's override files laid over it:
// *.NAME.hcl in the directory, then NAME/*.hcl, each in name order. A file
// whose name has a second dot (x.NAME.hcl) is an override file and never
// part of the base.

var destinationRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// isBaseFile reports whether name is a base configuration file: x.hcl,
// not hidden, not x.NAME.hcl.
func isBaseFile(name string) bool {
	return strings.HasSuffix(name, ".hcl") && !strings.HasPrefix(name, ".") && strings.Count(name, ".") == 1
}

// overrideFiles lists the override files of destination dest in dir.
func overrideFiles(dir, dest string) []string {
	var out []string
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && !strings.HasPrefix(n, ".") && strings.HasSuffix(n, "."+dest+".hcl") && n != dest+".hcl" {
				out = append(out, filepath.Join(dir, n))
			}
		}
	}
	if entries, err := os.ReadDir(filepath.Join(dir, dest)); err == nil {
		for _, e := range entries {
			if n := e.Name(); !e.IsDir() && !strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".hcl") {
				out = append(out, filepath.Join(dir, dest, n))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		// the directory's *.NAME.hcl first, then NAME/*.hcl, each by name
		di, dj := filepath.Dir(out[i]) != dir, filepath.Dir(out[j]) != dir
		if di != dj {
			return dj
		}
		return out[i] < out[j]
	})
	return out
}

// readOverrides parses the destination's override files, after the base.
func (l *loader) readOverrides() {
	dest := l.opts.Destination
	if dest == "" {
		return
	}
	if !destinationRe.MatchString(dest) {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid destination",
			Detail: fmt.Sprintf("%q is not a destination name: letters, digits, '_' and '-', starting with a letter or digit.", dest)})
		return
	}
	paths := overrideFiles(l.opts.Dir, dest)
	if len(paths) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No configuration for destination " + dest,
			Detail: fmt.Sprintf("The destination %s has no override files: neither *.%s.hcl nor %s/*.hcl in %s.%s", dest, dest, dest, l.opts.Dir, knownDestinations(l.opts.Dir))})
		return
	}
	for _, p := range paths {
		f, diags := l.parseFile(p)
		l.diags = append(l.diags, diags...)
		if f != nil {
			l.files = append(l.files, p)
			l.overrides = append(l.overrides, f)
		}
	}
}

// knownDestinations names the destinations dir has files for, as a
// sentence for an error ("" when none).
func knownDestinations(dir string) string {
	seen := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		parts := strings.Split(n, ".")
		switch {
		case !e.IsDir() && len(parts) >= 3 && parts[len(parts)-1] == "hcl":
			seen[parts[len(parts)-2]] = true
		case e.IsDir() && destinationRe.MatchString(n):
			if m, _ := filepath.Glob(filepath.Join(dir, n, "*.hcl")); len(m) > 0 {
				seen[n] = true
			}
		}
	}
	if len(seen) == 0 {
		return ""
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return " Destinations with files: " + strings.Join(names, ", ") + "."
}

// applyOverrides lays each override file's blocks over blocks: a block of
// the same type and labels gets the override merged into its body, a
// block without one is added, and a locals block's values replace the
// base's of the same name.
func (l *loader) applyOverrides(blocks map[string][]*hcl.Block) {
	for _, f := range l.overrides {
		content, diags := f.Body.Content(rootSchema)
		l.diags = append(l.diags, diags...)
		for _, b := range content.Blocks {
			if b.Type == "locals" {
				l.overrideLocals[b] = true
				blocks[b.Type] = append(blocks[b.Type], b)
				continue
			}
			i := sameBlock(blocks[b.Type], b)
			if i < 0 {
				blocks[b.Type] = append(blocks[b.Type], b)
				continue
			}
			merged := *blocks[b.Type][i]
			merged.Body = overrideBody{base: merged.Body, over: b.Body}
			blocks[b.Type][i] = &merged
		}
	}
}

// sameBlock is the index of the first block with b's labels, or -1.
func sameBlock(blocks []*hcl.Block, b *hcl.Block) int {
	for i, o := range blocks {
		if strings.Join(o.Labels, "\x00") == strings.Join(b.Labels, "\x00") {
			return i
		}
	}
	return -1
}

// checkDestination refuses a run without a destination when the service
// says require_destination = true.
func (l *loader) checkDestination(a *hcl.Attribute) {
	req, ok := l.boolean(a)
	if !ok || !req || l.opts.Destination != "" {
		return
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "A destination is required",
		Detail: "This service sets require_destination = true: run berth with --destination NAME (or BERTH_DESTINATION=NAME)." +
			knownDestinations(l.opts.Dir), Subject: a.Expr.Range().Ptr()})
}
