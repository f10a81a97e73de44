package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
  UNREACHABLE  the host could not be read (the row says why): what runs
             there is unknown, and there is no all-clear
The registry is not asked: a tag that moved to another digest shows in
berth plan only. Exit status 0 even with drift; 1 when a host cannot be
read.`,
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
	cfg, sess, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer sess.Close()
	st, err := sess.Status(ctx)
	if err != nil {
		return err
	}
	rows, states, unread, routes := st.Rows, st.States, st.Unread, st.Routes
	var failed error
	if len(unread) > 0 {
		// The rows name the hosts and say why: exit 1 without repeating it.
		failed = errSilent
	}
	if asJSON {
		enc := json.NewEncoder(a.Out)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []drift.Row{}
		}
		if states == nil {
			states = []planner.HostState{}
		}
		doc := map[string]any{"format_version": "1.2", "service": cfg.Service.Name, "destination": cfg.Destination, "version": cfg.Version.Full,
			"containers": rows, "hosts": states, "unreachable": unreachableHosts(cfg, unread),
			"all_clear": drift.AllClear(rows), "note": statusNote}
		if len(routes) > 0 {
			doc["proxy_routes"] = routes
		}
		if err := enc.Encode(doc); err != nil {
			return err
		}
		return failed
	}
	a.statusTable(cfg, rows)
	routesTable(a.Out, routes)
	return failed
}

// unreachableHosts lists the hosts that could not be read, in the
// configuration's order, for the JSON document.
func unreachableHosts(cfg *lang.Config, unread map[string]error) []map[string]string {
	out := []map[string]string{}
	for _, h := range cfg.Hosts {
		if err, ok := unread[h.Name]; ok {
			out = append(out, map[string]string{"host": h.Name, "address": h.Address, "error": err.Error()})
		}
	}
	return out
}

func (a *app) statusTable(cfg *lang.Config, rows []drift.Row) {
	if cfg.Destination != "" {
		fmt.Fprintf(a.Out, "Service %s, destination %s\n\n", cfg.Service.Name, cfg.Destination)
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tROLE\tVERSION\tCONTAINER\tSTATE\tHEALTH\tUPTIME\tDIGEST\tMARK")
	drifted, unclaimed, unreachable := 0, 0, 0
	for _, r := range rows {
		uptime := "-"
		if r.State == "running" && !r.StartedAt.IsZero() {
			uptime = age(r.StartedAt)
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", r.Host, r.What(), dash(r.Version), dash(r.Container),
			r.State, dash(r.Health), uptime, dash(shortDigest(r.Digest)), dash(r.Mark))
		if r.Unreachable {
			// The host's only row: it carries the error.
			line += "\t" + r.Error
		}
		fmt.Fprintln(tw, line)
		switch r.Mark {
		case drift.Drift:
			drifted++
		case drift.Unclaimed:
			unclaimed++
		case drift.Unreachable:
			unreachable++
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
	}
	switch {
	case unreachable > 0:
		fmt.Fprintf(a.Out, "\n%d %s could not be read (UNREACHABLE above): what runs there is unknown. %d drifted, %d unclaimed elsewhere.\n",
			unreachable, plural(unreachable, "host", "hosts"), drifted, unclaimed)
	case len(notes) > 0:
		fmt.Fprintf(a.Out, "\n%d drifted, %d unclaimed: berth plan shows what apply would do about it.\n", drifted, unclaimed)
	default:
		fmt.Fprintf(a.Out, "\nEvery host runs what the configuration says (version %s).\n", cfg.Version.Full)
	}
	fmt.Fprintln(a.Out, statusNote)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
