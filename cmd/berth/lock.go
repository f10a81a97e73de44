package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/lock"
)

func newLockCmd(a *app) *cobra.Command {
	var vf varFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lock",
		Short: "Show or release the deploy lock on the primary host",
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "machine-readable output")
	vf.register(cmd.PersistentFlags())
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Who holds the deploy lock, since when and why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.lockDo(cmd.Context(), vf, func(ctx context.Context, r lock.Runner, service, host string) error {
				info, err := lock.Status(ctx, r, service)
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(a.Out).Encode(map[string]any{"locked": info != nil, "holder": info})
				}
				if info == nil {
					fmt.Fprintf(a.Out, "Unlocked: no apply of %s holds the lock on %s.\n", service, host)
					return nil
				}
				fmt.Fprintf(a.Out, "Locked on %s by %s since %s (%s ago), deploying %s.\n", host, info.Who,
					info.When.Local().Format(time.RFC3339), time.Since(info.When).Round(time.Second), info.Version)
				if info.Message != "" {
					fmt.Fprintf(a.Out, "Message: %s\n", info.Message)
				}
				return nil
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "release",
		Short: "Release the deploy lock (after an apply died holding it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.lockDo(cmd.Context(), vf, func(ctx context.Context, r lock.Runner, service, host string) error {
				if err := lock.Release(ctx, r, service); err != nil {
					return err
				}
				fmt.Fprintf(a.Out, "Released the deploy lock of %s on %s.\n", service, host)
				return nil
			})
		},
	})
	return cmd
}

// lockDo runs fn against the primary host, where the lock lives.
func (a *app) lockDo(ctx context.Context, vf varFlags, fn func(context.Context, lock.Runner, string, string) error) error {
	cfg, conns, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer conns.Close()
	host := cfg.PrimaryRole().Hosts[0]
	conn, err := conns.pool.Conn(ctx, host)
	if err != nil {
		return err
	}
	return fn(ctx, conn, cfg.Service.Name, host)
}
