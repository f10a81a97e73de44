package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/internal/kamal"
	"github.com/berth-sh/berth/lang"
)

type importOptions struct {
	file     string
	out      string
	force    bool
	json     bool
	reserved []string
}

func newImportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Write a berth configuration from another tool's",
	}
	cmd.AddCommand(newImportKamalCmd(a))
	return cmd
}

func newImportKamalCmd(a *app) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "kamal [FILE]",
		Short: "Write berth.hcl from Kamal's config/deploy.yml (and a destination's overlay with -d NAME)",
		Long: `Read Kamal 2's configuration (FILE, default config/deploy.yml; with
--destination NAME also config/deploy.NAME.yml, merged the way Kamal merges
it) and write it as berth HCL to DIR/berth.hcl (--out, default the
configuration directory), then validate it. Every Kamal key berth does not
map is named in the report and left as a comment at its place; ERB becomes a
variable to fill in. The service block gets takeover { from = "kamal" }, so
that the first berth apply replaces Kamal's running containers.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.file = kamal.DefaultFile
			if len(args) == 1 {
				o.file = args[0]
			}
			if o.out == "" {
				o.out = a.chdir
			}
			// berth's own commands, not the aliases of a berth.hcl already
			// in --chdir (re-importing keeps their names).
			for _, c := range cmd.Root().Commands() {
				if c.GroupID != aliasGroup {
					o.reserved = append(o.reserved, c.Name())
					o.reserved = append(o.reserved, c.Aliases...)
				}
			}
			return a.importKamal(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "`DIR` to write berth.hcl into (default --chdir)")
	f.BoolVar(&o.force, "force", false, "overwrite DIR/berth.hcl")
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	return cmd
}

func (a *app) importKamal(ctx context.Context, o importOptions) error {
	res, err := kamal.Import(kamal.Options{File: o.file, Destination: a.destination, Reserved: o.reserved, Out: o.out, VersionVariable: !inGit(o.out)})
	if err != nil {
		return err
	}
	path := filepath.Join(o.out, "berth.hcl")
	if err := writeImported(path, res.HCL, o.force); err != nil {
		return err
	}
	lr := lang.Load(ctx, lang.Options{Dir: o.out, Environ: a.environ, Validate: true})
	if res.RequireDestination {
		// Validated as berth runs it, with a destination: the overlays the
		// user writes or imports next are not there yet.
		lr.Diags = withoutDestinationCheck(lr.Diags)
	}
	if o.json {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			FormatVersion string `json:"format_version"`
			Wrote         string `json:"wrote"`
			Valid         bool   `json:"valid"`
			*kamal.Result
		}{"1.0", path, !lr.Diags.HasErrors(), res}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.Out, "Wrote %s from %s.\n", path, joinFiles(res.Files))
		res.WriteReport(a.Out)
	}
	if err := lang.WriteDiagnostics(a.Err, lr.Files, lr.Diags, 0, false); err != nil {
		return err
	}
	if lr.Diags.HasErrors() {
		return fmt.Errorf("%s does not validate (see above): fix it by hand", path)
	}
	if !o.json && res.RequireDestination {
		fmt.Fprintln(a.Out, "It validates, but for its destination: require_destination = true makes berth run only with --destination NAME, with NAME's override files (*.NAME.hcl); import a destination of Kamal's with berth import kamal -d NAME.")
	} else if !o.json {
		fmt.Fprintln(a.Out, "It validates. Next: berth plan (it lists the Kamal containers it takes over).")
	}
	return nil
}

// withoutDestinationCheck is diags without the error of a configuration
// that requires a destination and was loaded without one.
func withoutDestinationCheck(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Summary != "A destination is required" {
			out = append(out, d)
		}
	}
	return out
}

// errImportExists refuses to overwrite a configuration.
var errImportExists = errors.New("already exists (--force overwrites it)")

func writeImported(path string, src []byte, force bool) error {
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("%s %w", path, errImportExists)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, src, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func joinFiles(files []string) string {
	out := files[0]
	for _, f := range files[1:] {
		out += " + " + f
	}
	return out
}

// inGit reports whether dir is in a git work tree (berth's version is then
// git HEAD, as Kamal's is).
func inGit(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		if _, err := os.Stat(filepath.Join(abs, ".git")); err == nil {
			return true
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return false
		}
		abs = parent
	}
}
