package kamal

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzImport: any file either imports or is refused with an error; the
// import never panics.
func FuzzImport(f *testing.F) {
	for _, p := range []string{"testdata/full/config/deploy.yml", "testdata/list/config/deploy.yml", "testdata/lab/config/deploy.yml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("service: a\nimage: b\nservers: {web: {hosts: 1, proxy: {hosts: x}}}\naccessories: {db: {image: '', hosts: [{a: 1}], directories: [x, {local: 1}]}}\n")
	f.Add("service: a\nimage: b\nservers: [<%= ENV['X'] %>]\naliases: {x: app exec}\nboot: {limit: '%'}\n")
	f.Fuzz(func(t *testing.T, text string) {
		p := filepath.Join(t.TempDir(), "deploy.yml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = Import(Options{File: p})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("the import of %q does not end", text)
		}
	})
}
