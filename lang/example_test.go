package lang_test

import (
	"context"
	"fmt"
	"os"

	"github.com/berth-sh/berth/lang"
)

// Load a configuration directory and print what the planner will see.
func ExampleLoad() {
	res := lang.Load(context.Background(), lang.Options{
		Dir:     "testdata/valid/design",
		Vars:    []string{"version=v2"},
		Environ: []string{"HOME=/home/me", "REGISTRY_PASSWORD=s3cret", "DB_PASSWORD=hunter2"},
	})
	if res.Diags.HasErrors() {
		_ = lang.WriteDiagnostics(os.Stderr, res.Files, res.Diags, 0, false)
		return
	}
	cfg := res.Config
	fmt.Println(cfg.Service.Name, cfg.Service.Image, cfg.Version.Full, cfg.Version.Source)
	for _, r := range cfg.Roles {
		fmt.Println(r.Name, r.Primary, r.Hosts, r.SecretEnv)
	}
	fmt.Println(cfg.Registry.Password, cfg.Registry.Password.Ref())
	// Output:
	// shop 10.77.0.1:5000/shop v2 deploy.version
	// web true [h1 h2] map[DB_PASSWORD:(sensitive)]
	// worker false [h3] map[]
	// (sensitive) env("REGISTRY_PASSWORD")
}
