package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/audit"
	"github.com/berth-sh/berth/internal/fanout"
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
	cfg, conns, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer conns.Close()
	lists := make([][]audit.Entry, len(cfg.Hosts))
	errs := fanout.Each(ctx, len(cfg.Hosts), 0, func(ctx context.Context, i int) error {
		h := cfg.Hosts[i]
		conn, err := conns.pool.Conn(ctx, h.Name)
		if err == nil {
			lists[i], err = audit.Read(ctx, conn, cfg.Service.Name, n)
		}
		if err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
		return nil
	})
	entries := audit.Merge(lists...)
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
	return errors.Join(errs...)
}
