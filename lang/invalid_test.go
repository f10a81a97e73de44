package lang

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// testEnviron is the environment every loader test runs with.
var testEnviron = []string{
	"HOME=/home/test",
	"DB_PASSWORD=db-secret-4711",
	"REGISTRY_PASSWORD=registry-secret-0815",
}

var expectRe = regexp.MustCompile(`#\s*(ERROR|WARNING):\s*(.+?)\s*$`)

type expectation struct {
	line     int
	severity hcl.DiagnosticSeverity
	summary  string
}

// expectations reads the `# ERROR: summary` / `# WARNING: summary` marks.
func expectations(t *testing.T, src []byte) []expectation {
	t.Helper()
	var out []expectation
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		m := expectRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		sev := hcl.DiagError
		if m[1] == "WARNING" {
			sev = hcl.DiagWarning
		}
		out = append(out, expectation{line: line, severity: sev, summary: m[2]})
	}
	return out
}

// TestInvalid loads every testdata/invalid/*.hcl file alone and checks that
// each marked diagnostic appears at its file and line, and that no other
// diagnostic does.
func TestInvalid(t *testing.T) {
	paths, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 25 {
		t.Fatalf("only %d invalid configurations", len(paths))
	}
	summaries := map[string]bool{}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".hcl"), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(t, src)
			if len(want) == 0 {
				t.Fatal("no # ERROR: or # WARNING: mark")
			}
			dir := t.TempDir()
			name := filepath.Base(path)
			if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
				t.Fatal(err)
			}
			res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
			matched := make([]bool, len(res.Diags))
			for _, w := range want {
				summaries[w.summary] = true
				found := false
				for i, d := range res.Diags {
					if d.Subject != nil && filepath.Base(d.Subject.Filename) == name && d.Subject.Start.Line == w.line &&
						d.Severity == w.severity && strings.Contains(d.Summary, w.summary) {
						matched[i], found = true, true
					}
				}
				if !found {
					t.Errorf("%s:%d: missing %q", name, w.line, w.summary)
				}
			}
			for i, d := range res.Diags {
				if !matched[i] {
					t.Errorf("unexpected diagnostic: %s", d.Error())
				}
			}
			if res.Diags.HasErrors() != (res.Config == nil) {
				t.Errorf("Config is %v with errors=%v", res.Config, res.Diags.HasErrors())
			}
		})
	}
	if len(summaries) < 25 {
		t.Errorf("only %d distinct mistakes", len(summaries))
	}
}
