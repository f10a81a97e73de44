package main

import (
	"fmt"
	"io"

	"github.com/berth-sh/berth/internal/deploy"
)

// routesTable prints the proxy routes under the status table.
func routesTable(w io.Writer, routes []deploy.ProxyRoute) {
	if len(routes) == 0 {
		return
	}
	fmt.Fprintln(w, "\nProxy routes:")
	for _, r := range routes {
		to := r.Target
		if r.Container != "" {
			to = r.Container + " (" + r.Target + ")"
		}
		state := r.State
		if r.Maintenance {
			state = "MAINTENANCE (stopped: requests get 503)"
		}
		if r.Other {
			state += "  (another service)"
		}
		fmt.Fprintf(w, "  %s  %s  host %s, path %s -> %s  %s\n", r.Host, r.Service, r.Match, r.Path, to, state)
	}
}
