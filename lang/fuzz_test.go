package lang

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// noCommand stands in for secret_cmd's commands: a fuzzed configuration
// must run nothing.
func noCommand(_ context.Context, _ string, _, argv []string) ([]byte, error) {
	if len(argv) > 1 {
		return nil, fmt.Errorf("%w %q exited with status 1", ErrSecretCommand, argv[0])
	}
	return []byte("fuzz-secret\n"), nil
}

// FuzzLoad writes arbitrary bytes as a configuration file and loads it, in
// both modes, and renders the diagnostics: none of it may panic.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.hcl")
	more, _ := filepath.Glob("testdata/valid/*/*.hcl")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(leakyConfig))
	f.Add([]byte(secretCmdConfig))
	f.Add([]byte(secretsFileConfig))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, validate := range []bool{false, true} {
			res := Load(context.Background(), Options{Dir: dir, Environ: testEnviron, Validate: validate, Vars: []string{"version=v1"},
				SecretCommand: noCommand})
			for _, d := range res.Diags {
				if d.Summary == InternalErrorSummary {
					t.Fatal(d.Detail)
				}
			}
			if res.Diags.HasErrors() == (res.Config != nil) {
				t.Fatalf("Config %v with errors=%v", res.Config != nil, res.Diags.HasErrors())
			}
			if err := WriteDiagnostics(io.Discard, res.Files, res.Diags, 78, false); err != nil {
				t.Fatal(err)
			}
			_ = DiagnosticsJSON(res.Diags)
		}
		Format(src, "berth.hcl")
	})
}
