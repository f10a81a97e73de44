package lang

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

func TestAliases(t *testing.T) {
	dir := t.TempDir()
	src := `service "shop" { image = "10.77.0.1:5000/shop" }
host "h1" { address = "10.77.0.11" }
role "web" { hosts = [host.h1] }
deploy { version = "v1" }
alias "console" {
  command = ["exec", "web", "--", "sh"]
}
alias "st" { command = ["status"] }
`
	if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags)
	}
	got := res.Config.Aliases
	if len(got) != 2 || got[0].Name != "console" || !slices.Equal(got[0].Command, []string{"exec", "web", "--", "sh"}) || got[1].Name != "st" {
		t.Fatalf("aliases = %+v", got)
	}
	if got[0].NameRange.Start.Line != 5 {
		t.Errorf("console declared at line %d, want 5", got[0].NameRange.Start.Line)
	}
	only, _, diags := LoadAliases(context.Background(), dir)
	if diags.HasErrors() || len(only) != 2 || only[1].Command[0] != "status" {
		t.Fatalf("LoadAliases = %+v, %v", only, diags)
	}
}

func TestLoadAliasesWithoutConfiguration(t *testing.T) {
	aliases, _, diags := LoadAliases(context.Background(), t.TempDir())
	if len(aliases) != 0 || diags.HasErrors() {
		t.Fatalf("got %v, %v", aliases, diags)
	}
}

// The files LoadAliases parsed are not parsed again by Load: a parsed
// file whose bytes are the file's own is used as it is (here one whose
// body was parsed from other text, which shows it), and one whose bytes
// changed since is parsed again.
func TestLoadUsesFilesParsedBefore(t *testing.T) {
	dir := t.TempDir()
	src := `service "shop" { image = "10.77.0.1:5000/shop" }
host "h1" { address = "10.77.0.11" }
role "web" { hosts = [host.h1] }
deploy { version = "v1" }
`
	path := filepath.Join(dir, "berth.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, files, diags := LoadAliases(context.Background(), dir)
	if diags.HasErrors() || files[path] == nil {
		t.Fatalf("LoadAliases: %v, files %v", diags, files)
	}
	other := hclparse.NewParser()
	f, diags := other.ParseHCL([]byte(strings.Replace(src, `"v1"`, `"v9"`, 1)), path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f.Bytes = []byte(src) // the bytes of the file as it is, the body of another
	res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Parsed: map[string]*hcl.File{path: f}})
	if res.Diags.HasErrors() || res.Config.Version.Full != "v9" {
		t.Fatalf("the parsed file was not used: %v, version %v", res.Diags, res.Config.Version)
	}
	if res.Files[path] != f {
		t.Errorf("the diagnostics' files do not hold the parsed file")
	}
	f.Bytes = []byte(src + "\n# changed\n")
	res = Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Parsed: map[string]*hcl.File{path: f}})
	if res.Diags.HasErrors() || res.Config.Version.Full != "v1" {
		t.Fatalf("a file that changed since was not parsed again: %v, version %v", res.Diags, res.Config.Version)
	}
}
