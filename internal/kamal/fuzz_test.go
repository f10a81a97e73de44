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
	// Text like the ERB markers of the import, with and without ERB.
	f.Add("service: a\nimage: b\nservers: [x]\nenv: {A: x__BERTH_ERB_99__y, B: __BERTH_ERB_0__, C: <%= ENV['X'] %>__BERTH_ERB_1__}\n")
	f.Add("service: a\nimage: b\nservers: [x]\nenv: {A: 0x1F, B: .inf, C: 1:30, D: :sym, E: 2024-1-5, F: 1e3, G: 1., H: -0b1, I:}\nssh: {port: 0o17}\n")
	f.Add("service: a\nimage: b\nenv: [a]\naccessories: {a: , b: {directories: [x, {local: y}]}}\nboot: 3\nlogging: x\nretain_containers: -1\ndrain_timeout: .nan\n")
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
