package lang

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
