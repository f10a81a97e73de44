package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/planner/drift"
)

// statusNote says what status cannot see without the registry.
const statusNote = "Compared with the configuration without asking the registry: a tag moved to another digest shows in berth plan only."

func newStatusCmd(a *app) *cobra.Command {
	var (
		vf     varFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "The live containers per host and role: version, state, health, uptime, digest, drift",
		Long: `Read every host and show, per host and role (and accessory), the
containers of the service: version, container, state, health, uptime and
image digest. Marks:
  DRIFT      differs from the configuration: missing, not running (killed
             or stopped by hand), another version, another config
  UNCLAIMED  no role or accessory of the configuration claims it any more
             (berth apply removes it)
  retained   an old stopped container kept for berth rollback
The registry is not asked: a tag that moved to another digest shows in
berth plan only. Exit status 0 even with drift; 1 when a host cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.status(cmd.Context(), vf, asJSON)
		},
	}
	vf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output")
	return cmd
}

func (a *app) status(ctx context.Context, vf varFlags, asJSON bool) error {
	cfg, conns, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer conns.Close()
	states, readErr := a.readStates(ctx, cfg, conns)
	a.startTimes(ctx, conns, states)
	rows := drift.Compare(cfg, states)
	routes := a.proxyRoutes(ctx, conns, cfg.Service.Name, states)
	if asJSON {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []drift.Row{}
		}
		doc := map[string]any{"format_version": "1.1", "service": cfg.Service.Name, "version": cfg.Version.Full,
			"containers": rows, "hosts": states, "note": statusNote}
		if len(routes) > 0 {
			doc["proxy_routes"] = routes
		}
		if err := enc.Encode(doc); err != nil {
			return err
		}
		return readErr
	}
	a.statusTable(cfg, rows)
	routesTable(a.Out, routes)
	return readErr
}

// startTimes fills in when each running container started (the listing
// does not say), for the uptime column. A failure leaves it unknown.
func (a *app) startTimes(ctx context.Context, conns *connections, states []planner.HostState) {
	var wg sync.WaitGroup
	for i := range states {
		for j := range states[i].Containers {
			c := &states[i].Containers[j]
			if !c.Running() {
				continue
			}
			wg.Go(func() {
				d, err := conns.live.Client(ctx, states[i].Host)
				if err != nil {
					return
				}
				if info, err := d.Inspect(ctx, c.ID); err == nil {
					c.StartedAt = info.State.StartedAt
				}
			})
		}
	}
	wg.Wait()
}

func (a *app) statusTable(cfg *lang.Config, rows []drift.Row) {
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tROLE\tVERSION\tCONTAINER\tSTATE\tHEALTH\tUPTIME\tDIGEST\tMARK")
	drifted, unclaimed := 0, 0
	for _, r := range rows {
		uptime := "-"
		if r.State == "running" && !r.StartedAt.IsZero() {
			uptime = age(r.StartedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Host, r.What(), dash(r.Version), dash(r.Container),
			r.State, dash(r.Health), uptime, dash(shortDigest(r.Digest)), dash(r.Mark))
		switch r.Mark {
		case drift.Drift:
			drifted++
		case drift.Unclaimed:
			unclaimed++
		}
	}
	tw.Flush()
	var notes []string
	for _, r := range rows {
		if r.Mark == drift.Drift || r.Mark == drift.Unclaimed {
			name := r.Host + "/" + r.What()
			if r.Container != "" {
				name = r.Host + "/" + r.Container
			}
			notes = append(notes, fmt.Sprintf("  %s %s: %s", r.Mark, name, strings.Join(r.Reasons, "; ")))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(a.Out)
		fmt.Fprintln(a.Out, strings.Join(notes, "\n"))
		fmt.Fprintf(a.Out, "\n%d drifted, %d unclaimed: berth plan shows what apply would do about it.\n", drifted, unclaimed)
	} else {
		fmt.Fprintf(a.Out, "\nEvery host runs what the configuration says (version %s).\n", cfg.Version.Full)
	}
	fmt.Fprintln(a.Out, statusNote)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortDigest abbreviates "sha256:abcdef..." to "sha256:abcdef123456".
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
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
