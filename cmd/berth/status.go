package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/internal/fanout"
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
	cfg, conns, err := a.open(ctx, vf)
	if err != nil {
		return err
	}
	defer conns.Close()
	states, unread := a.readHosts(ctx, cfg, conns)
	gone, goneErrs := a.readDeparted(ctx, cfg, conns, states)
	states = append(states, gone...)
	a.startTimes(ctx, conns, states)
	rows := drift.CompareHosts(cfg, states, unread)
	for _, d := range planner.Departed(cfg, states[:len(states)-len(gone)]) {
		if err, ok := goneErrs[d.Name]; ok {
			rows = append(rows, drift.Row{Host: d.Name, State: "unknown", Mark: drift.Unreachable, Unreachable: true,
				Error: err.Error(), Reasons: []string{"left the configuration, still in the roster, and cannot be read: " + err.Error()}})
			unread[d.Name] = err
		}
	}
	routes := a.proxyRoutes(ctx, conns, cfg.Service.Name, states)
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
		doc := map[string]any{"format_version": "1.2", "service": cfg.Service.Name, "version": cfg.Version.Full,
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

// readHosts reads the live containers of the service on every declared
// host at once. A host that cannot be read is left out of the states and
// is in unread with why, said without naming the host again.
func (a *app) readHosts(ctx context.Context, cfg *lang.Config, conns *connections) ([]planner.HostState, map[string]error) {
	states := make([]planner.HostState, len(cfg.Hosts))
	errs := fanout.Each(ctx, len(cfg.Hosts), 0, func(ctx context.Context, i int) error {
		var err error
		states[i], err = conns.live.ReadState(ctx, cfg.Hosts[i].Name, cfg.Service.Name)
		states[i].Host = cfg.Hosts[i].Name
		return err
	})
	var read []planner.HostState
	unread := map[string]error{}
	for i, h := range cfg.Hosts {
		if errs[i] != nil {
			unread[h.Name] = withoutHost(errs[i], h)
			continue
		}
		read = append(read, states[i])
	}
	return read, unread
}

// readDeparted reads the hosts that left the configuration but are still
// in the roster of the hosts read; those that cannot be read are in the
// returned map with why.
func (a *app) readDeparted(ctx context.Context, cfg *lang.Config, conns *connections, read []planner.HostState) ([]planner.HostState, map[string]error) {
	departed := planner.Departed(cfg, read)
	states := make([]planner.HostState, len(departed))
	errs := fanout.Each(ctx, len(departed), 0, func(ctx context.Context, i int) error {
		d := departed[i]
		states[i].Host = d.Name
		if err := conns.live.AddHost(d); err != nil {
			return err
		}
		st, err := conns.live.ReadState(ctx, d.Name, cfg.Service.Name)
		st.Host = d.Name
		states[i] = st
		return err
	})
	var out []planner.HostState
	failed := map[string]error{}
	for i, d := range departed {
		if errs[i] != nil {
			failed[d.Name] = withoutHost(errs[i], lang.Host{Name: d.Name, Address: d.Address})
			continue
		}
		out = append(out, states[i])
	}
	return out, failed
}

// withoutHost drops the "host NAME (ADDRESS:PORT): " the SSH layer puts in
// front of its errors, for a row that names the host already.
func withoutHost(err error, h lang.Host) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "host "+h.Name+": "); ok {
		return errors.New(rest)
	}
	if rest, ok := strings.CutPrefix(msg, "host "+h.Name+" ("); ok {
		if _, after, ok := strings.Cut(rest, "): "); ok {
			return errors.New(after)
		}
	}
	return err
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
