package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/lang"
)

type fmtCmd struct {
	check     bool
	diff      bool
	recursive bool
}

func newFmtCmd(a *app) *cobra.Command {
	c := &fmtCmd{}
	cmd := &cobra.Command{
		Use:   "fmt [FILE|DIR]...",
		Short: "Rewrite configuration files in the canonical format",
		Long: `Rewrite the *.hcl files of the --chdir directory (or the FILEs and DIRs
given, relative to it) in the canonical HCL layout and print the name of each
file changed. "-" formats standard input to standard output.
--check changes nothing and exits 1 when a file would change;
--diff prints what changes as a unified diff.`,
		RunE: func(cmd *cobra.Command, args []string) error { return c.run(a, args) },
	}
	cmd.Flags().BoolVar(&c.check, "check", false, "change nothing; list the files that are not formatted and exit 1 if any")
	cmd.Flags().BoolVar(&c.diff, "diff", false, "print the changes as a unified diff")
	cmd.Flags().BoolVar(&c.recursive, "recursive", false, "also format subdirectories")
	return cmd
}

func (c *fmtCmd) run(a *app, args []string) error {
	if len(args) == 1 && args[0] == "-" {
		return c.stdin(a)
	}
	files, err := c.files(a.chdir, args)
	if err != nil {
		return err
	}
	failed := false
	for _, f := range files {
		changed, err := c.file(a, f)
		if err != nil {
			failed = true
			if err != errSilent {
				fmt.Fprintf(a.Err, "Error: %v\n", err)
			}
			continue
		}
		if changed && c.check {
			failed = true
		}
	}
	if failed {
		return errSilent
	}
	return nil
}

// files lists the files to format: args relative to dir, directories
// expanded to their *.hcl files.
func (c *fmtCmd) files(dir string, args []string) ([]string, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	var out []string
	for _, arg := range args {
		p := arg
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		found, err := c.dirFiles(p)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

func (c *fmtCmd) dirFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir() && c.recursive:
			sub, err := c.dirFiles(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case !e.IsDir() && strings.HasSuffix(name, ".hcl"):
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	return out, nil
}

// file formats one file; it reports whether the file is (or was) not in
// canonical form.
func (c *fmtCmd) file(a *app, path string) (bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	out, diags := lang.Format(src, path)
	if diags.HasErrors() {
		_ = lang.WriteDiagnostics(a.Err, map[string]*hcl.File{path: {Bytes: src}}, diags, 0, false)
		return false, errSilent
	}
	if string(out) == string(src) {
		return false, nil
	}
	fmt.Fprintln(a.Out, path)
	if c.diff {
		fmt.Fprint(a.Out, lang.UnifiedDiff(path, src, out))
	}
	if !c.check {
		if err := os.WriteFile(path, out, st.Mode().Perm()); err != nil {
			return true, err
		}
	}
	return true, nil
}

func (c *fmtCmd) stdin(a *app) error {
	src, err := io.ReadAll(io.LimitReader(a.In, 4<<20))
	if err != nil {
		return err
	}
	out, diags := lang.Format(src, "<stdin>")
	if diags.HasErrors() {
		_ = lang.WriteDiagnostics(a.Err, map[string]*hcl.File{"<stdin>": {Bytes: src}}, diags, 0, false)
		return errSilent
	}
	switch {
	case c.diff:
		fmt.Fprint(a.Out, lang.UnifiedDiff("<stdin>", src, out))
	case !c.check:
		_, err = a.Out.Write(out)
	}
	if c.check && string(out) != string(src) {
		return errSilent
	}
	return err
}
