package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// varFlags are the --var and --var-file options of every command that
// loads the configuration.
type varFlags struct {
	vars     []string
	varFiles []string
}

func (v *varFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&v.vars, "var", nil, "set a variable: NAME=VALUE (repeatable; wins over --var-file and BERTH_VAR_NAME)")
	fs.StringArrayVar(&v.varFiles, "var-file", nil, "read variables from a file of NAME = VALUE lines in HCL, relative to --chdir; not named *.hcl (repeatable)")
}

// loadOptions are the lang options for the configuration in a.chdir. Like
// every path berth takes, --var-file paths are relative to --chdir.
func (a *app) loadOptions(vf varFlags) lang.Options {
	files := make([]string, len(vf.varFiles))
	for i, f := range vf.varFiles {
		if !filepath.IsAbs(f) {
			f = filepath.Join(a.chdir, f)
		}
		files[i] = f
	}
	o := lang.Options{Dir: a.chdir, Vars: vf.vars, VarFiles: files, Environ: a.environ, Destination: a.destinationName()}
	if a.parsedDir == a.chdir {
		o.Parsed = a.parsed
	}
	return o
}

// destinationName is --destination, else BERTH_DESTINATION, else "".
func (a *app) destinationName() string {
	if a.destination != "" {
		return a.destination
	}
	for i := len(a.environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(a.environ[i], "BERTH_DESTINATION="); ok {
			return v
		}
	}
	return ""
}

// useSavedDestination loads the configuration for the destination a saved
// plan was made for; another destination given on the command line or in
// BERTH_DESTINATION is an error.
func (a *app) useSavedDestination(p *planner.Plan) error {
	switch d := a.destinationName(); {
	case d == p.Destination:
		return nil
	case d == "":
		a.destination = p.Destination
		return nil
	case p.Destination == "":
		return fmt.Errorf("the plan file was made without a destination, and this run's is %s: apply it without --destination and BERTH_DESTINATION", d)
	default:
		return fmt.Errorf("the plan file is for destination %s, and this run's is %s", p.Destination, d)
	}
}

// loadConfig loads the configuration for plan, apply and the other commands
// that act on hosts. Warnings and errors go to a.Err with the offending
// source lines; on errors it returns errSilent.
func (a *app) loadConfig(ctx context.Context, vf varFlags) (*lang.Config, error) {
	res := lang.Load(ctx, a.loadOptions(vf))
	if err := lang.WriteDiagnostics(a.Err, res.Files, res.Diags, 0, false); err != nil {
		return nil, err
	}
	if res.Diags.HasErrors() {
		return nil, errSilent
	}
	return res.Config, nil
}
