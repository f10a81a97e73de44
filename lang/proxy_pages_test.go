package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pagesConfig = `
service "shop" { image = "10.77.0.1:5000/app" }
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  proxy {
    app_port    = 8080
    error_pages = "pages"
  }
}
deploy { version = "v1" }
`

func writePages(t *testing.T, pages map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(pagesConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "pages"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range pages {
		if err := os.WriteFile(filepath.Join(dir, "pages", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestErrorPages(t *testing.T) {
	dir := writePages(t, map[string]string{"503.html": "<p>{{ .Message }}</p>", "404.html": "<p>gone</p>", "notes.txt": "x"})
	cfg := loadValid(t, Options{Dir: dir})
	p := cfg.Roles[0].Proxy.ErrorPages
	if p == nil || p.Dir != "pages" || strings.Join(p.Names(), ",") != "404.html,503.html" || string(p.Files["503.html"]) != "<p>{{ .Message }}</p>" {
		t.Errorf("error pages %+v", p)
	}
}

func TestErrorPagesErrors(t *testing.T) {
	for name, pages := range map[string]map[string]string{
		"none":         {"notes.txt": "x"},
		"bad template": {"503.html": "<p>{{ .Message </p>"},
	} {
		t.Run(name, func(t *testing.T) {
			res := Load(t.Context(), Options{Dir: writePages(t, pages), Environ: testEnviron})
			if msg := res.Diags.Error(); !strings.Contains(msg, "Invalid error_pages") || !strings.Contains(msg, "berth.hcl:8") {
				t.Errorf("diagnostics %q", msg)
			}
		})
	}
}
