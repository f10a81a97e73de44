package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/planner"
)

func newStatusCmd(a *app) *cobra.Command {
	var (
		vf     varFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "The live containers of the service per host and role: version, state, health, age",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.status(cmd.Context(), vf, asJSON)
		},
	}
	vf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output")
	return cmd
}

func (a *app) status(ctx context.Context, vf varFlags, asJSON bool) error {
	cfg, err := a.loadConfig(ctx, vf)
	if err != nil {
		return err
	}
	conns, err := a.connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer conns.Close()
	states := make([]planner.HostState, len(cfg.Hosts))
	errs := make([]error, len(cfg.Hosts))
	var wg sync.WaitGroup
	for i, h := range cfg.Hosts {
		wg.Go(func() {
			states[i], errs[i] = conns.live.ReadState(ctx, h.Name, cfg.Service.Name)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("host %s (%s): %w", h.Name, h.Address, errs[i])
			}
			states[i].Host = h.Name
		})
	}
	wg.Wait()
	for i := range states {
		sort.SliceStable(states[i].Containers, func(x, y int) bool {
			cx, cy := states[i].Containers[x], states[i].Containers[y]
			if cx.Running() != cy.Running() {
				return cx.Running()
			}
			return cx.Created.After(cy.Created)
		})
	}
	if asJSON {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"format_version": "1.0", "service": cfg.Service.Name, "hosts": states}); err != nil {
			return err
		}
		return errors.Join(errs...)
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tROLE\tVERSION\tCONTAINER\tSTATE\tHEALTH\tAGE")
	for _, st := range states {
		if len(st.Containers) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\n", st.Host)
		}
		for _, c := range st.Containers {
			role := c.Role
			if c.Accessory != "" {
				role = "accessory." + c.Accessory
			}
			health := c.Health
			if health == "" {
				health = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Host, role, c.Version, c.Name, c.State, health, age(c.Created))
		}
	}
	tw.Flush()
	return errors.Join(errs...)
}

func age(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
