package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

type showCmd struct {
	json, markdown, noColor bool
}

func newShowCmd(a *app) *cobra.Command {
	c := &showCmd{}
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Render a saved plan file",
		Long: `Render a plan file written by 'berth plan --out FILE': for a person (default),
as a JSON document (--json), or as Markdown to paste into a pull request
(--markdown: the summary table first, the details in a collapsible section).
Every rendering starts with the file's content digest (sha256 of its bytes,
as sha256sum prints it); 'berth apply FILE' prints the same line, so a
reviewer can tell that the file applied is the file reviewed. It contacts
no host.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if c.json && c.markdown {
				return errors.New("--json and --markdown exclude each other")
			}
			f, err := planner.Open(args[0])
			if err != nil {
				return err
			}
			info := &view.FileInfo{Path: f.Path, Digest: f.Digest}
			switch {
			case c.json:
				return view.PlanFileJSON(a.Out, f.Plan, info)
			case c.markdown:
				return view.PlanFileMarkdown(a.Out, f.Plan, info)
			}
			return view.Plan(a.Out, f.Plan, view.HumanOptions{Color: a.color(c.noColor), File: info})
		},
	}
	cmd.Flags().BoolVar(&c.json, "json", false, "print the plan as a JSON document")
	cmd.Flags().BoolVar(&c.markdown, "markdown", false, "print the plan as Markdown for a pull request")
	cmd.Flags().BoolVar(&c.noColor, "no-color", false, "no colours in the output")
	return cmd
}
