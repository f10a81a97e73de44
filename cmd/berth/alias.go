package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/lang"
)

// aliasGroup is the group of --help that lists the configuration's aliases.
const aliasGroup = "aliases"

// withAliases reads the alias blocks of the configuration that args name
// (--chdir), adds each to root's help as a command of its own and returns
// args with an alias replaced by its command. An alias that shadows a
// built-in command is an error with its file:line:col. A configuration
// that cannot be read has no aliases here: the command itself says why.
func (a *app) withAliases(ctx context.Context, root *cobra.Command, args []string) ([]string, error) {
	i, chdir := commandIndex(args)
	aliases, files, loadDiags := lang.LoadAliases(ctx, chdir)
	if !loadDiags.HasErrors() {
		a.parsed, a.parsedDir = files, chdir // loadConfig does not parse them again
	}
	if len(aliases) == 0 {
		return args, nil
	}
	var diags hcl.Diagnostics
	for _, al := range aliases {
		if builtin(root, al.Name) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Alias shadows a built-in command",
				Detail:  fmt.Sprintf("berth %s is a built-in command; give the alias another name.", al.Name),
				Subject: al.NameRange.Ptr()})
		}
	}
	if len(diags) > 0 {
		if err := lang.WriteDiagnostics(a.Err, files, diags, 0, false); err != nil {
			return nil, err
		}
		return nil, errSilent
	}
	root.AddGroup(&cobra.Group{ID: aliasGroup, Title: "Aliases (from the configuration):"})
	for _, al := range aliases {
		root.AddCommand(&cobra.Command{Use: al.Name, Short: "berth " + strings.Join(al.Command, " "), GroupID: aliasGroup,
			DisableFlagParsing: true, RunE: func(*cobra.Command, []string) error { return nil }})
	}
	if i >= len(args) {
		return args, nil
	}
	for _, al := range aliases {
		if al.Name != args[i] {
			continue
		}
		if !builtin(root, al.Command[0]) {
			return nil, fmt.Errorf("alias %s runs %q, which is not a built-in berth command", al.Name, al.Command[0])
		}
		return slices.Concat(args[:i], al.Command, args[i+1:]), nil
	}
	return args, nil
}

// builtin reports whether name is one of berth's own commands.
func builtin(root *cobra.Command, name string) bool {
	if name == "help" || name == "completion" {
		return true
	}
	for _, c := range root.Commands() {
		if c.GroupID != aliasGroup && (c.Name() == name || c.HasAlias(name)) {
			return true
		}
	}
	return false
}

// commandIndex finds the command word in args, after the global flags,
// and the --chdir they give.
func commandIndex(args []string) (int, string) {
	chdir := "."
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		switch a := args[i]; {
		case a == "--":
			return len(args), chdir
		case (a == "-C" || a == "--chdir") && i+1 < len(args):
			chdir = args[i+1]
			i++
		case strings.HasPrefix(a, "--chdir="):
			chdir = strings.TrimPrefix(a, "--chdir=")
		case strings.HasPrefix(a, "-C") && len(a) > 2:
			chdir = a[2:]
		}
		i++
	}
	return i, chdir
}
