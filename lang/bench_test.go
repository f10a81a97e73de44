package lang

import (
	"context"
	"testing"
)

// BenchmarkLoad loads the full example (two files, variables, locals,
// functions, every block kind).
func BenchmarkLoad(b *testing.B) {
	env := append([]string{"API_KEY=k", "CACHE_PASSWORD=c"}, testEnviron...)
	opts := Options{Dir: "testdata/valid/full", Environ: env, Vars: []string{"db_password=pw"}}
	for b.Loop() {
		if res := Load(context.Background(), opts); res.Diags.HasErrors() {
			b.Fatal(res.Diags)
		}
	}
}
