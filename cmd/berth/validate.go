package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/lang"
)

type validateCmd struct {
	json bool
	vars varFlags
}

func newValidateCmd(a *app) *cobra.Command {
	c := &validateCmd{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the configuration without contacting any host",
		Long: `Check the configuration in the --chdir directory: syntax, types, references,
roles and hosts, durations, ports and image references. Variables without a
value and env() of unset variables are accepted here (their value is only
needed by plan and apply). Exits 0 when valid (warnings allowed), 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := a.loadOptions(c.vars)
			opts.Validate = true
			res := lang.Load(cmd.Context(), opts)
			if c.json {
				enc := json.NewEncoder(a.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(lang.DiagnosticsJSON(res.Diags)); err != nil {
					return err
				}
			} else {
				if err := lang.WriteDiagnostics(a.Err, res.Files, res.Diags, 0, false); err != nil {
					return err
				}
				if !res.Diags.HasErrors() {
					fmt.Fprintln(a.Out, "Success! The configuration is valid.")
				}
			}
			if res.Diags.HasErrors() {
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&c.json, "json", false, "print the result as JSON on stdout")
	c.vars.register(cmd.Flags())
	return cmd
}
