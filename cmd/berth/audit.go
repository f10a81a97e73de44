package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newAuditCmd(a *app) *cobra.Command {
	var (
		vf     varFlags
		lines  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit log of every host, merged by time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.auditLog(cmd.Context(), vf, lines, asJSON)
		},
	}
	vf.register(cmd.Flags())
	cmd.Flags().IntVarP(&lines, "lines", "n", 20, "last N entries of each host (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	return cmd
}

func (a *app) auditLog(ctx context.Context, vf varFlags, n int, asJSON bool) error {
	_, sess, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer sess.Close()
	entries, readErr := sess.AuditLog(ctx, n)
	if asJSON {
		enc := json.NewEncoder(a.Out)
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
	} else {
		tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tHOST\tWHO\tCOMMAND\tVERSION\tRESULT\tSUMMARY")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Host, e.Who, e.Command, e.Version, e.Result, e.Summary)
		}
		tw.Flush()
	}
	return readErr
}
