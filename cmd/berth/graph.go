package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/view"
)

type graphCmd struct {
	format   string
	vars     varFlags
	targets  []string
	excludes []string
}

func newGraphCmd(a *app) *cobra.Command {
	c := &graphCmd{}
	cmd := &cobra.Command{
		Use:   "graph [FILE]",
		Short: "Print the apply step graph (DOT, Mermaid or text)",
		Long: `Print the step graph apply walks: pull, create, start, health, stop_old and
prune per host and role, the barrier, and the rolling batches. With FILE, the
graph of that saved plan; without, make a plan from the live hosts first.
--format dot (default; render with 'dot -Tsvg'), mermaid (GitHub renders a
` + "```mermaid" + ` block in a pull request) or text (one step per line with its
dependencies).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			render, err := graphRenderer(c.format)
			if err != nil {
				return err
			}
			var p *planner.Plan
			if len(args) == 1 {
				p, err = planner.ReadFile(args[0])
			} else {
				cfg, lerr := a.loadConfig(cmd.Context(), c.vars)
				if lerr != nil {
					return lerr
				}
				p, err = a.buildPlan(cmd.Context(), cfg, planner.Options{Targets: c.targets, Excludes: c.excludes})
			}
			if err != nil {
				return err
			}
			return render(a.Out, p.Graph)
		},
	}
	cmd.Flags().StringVar(&c.format, "format", "dot", "output format: dot, mermaid or text")
	c.vars.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&c.targets, "target", nil, "without FILE: plan only this host, role or accessory")
	cmd.Flags().StringArrayVar(&c.excludes, "exclude", nil, "without FILE: leave out this host, role or accessory")
	return cmd
}

func graphRenderer(format string) (func(io.Writer, planner.Graph) error, error) {
	switch format {
	case "dot", "":
		return view.GraphDOT, nil
	case "mermaid":
		return view.GraphMermaid, nil
	case "text":
		return func(w io.Writer, g planner.Graph) error { _, err := io.WriteString(w, g.String()); return err }, nil
	}
	return nil, fmt.Errorf("unknown graph format %q: use dot, mermaid or text", format)
}
