package view

import (
	"fmt"
	"strings"

	"github.com/berth-sh/berth/planner"
)

// NetworkLines renders the Docker networks a plan's creates join, one line
// per host: "h3  berth-shop". Each is created where it is missing, before
// the host's first create.
func NetworkLines(p *planner.Plan) []string {
	nets := p.Networks()
	width := 0
	for _, n := range nets {
		width = max(width, len(n.Host))
	}
	out := make([]string, 0, len(nets))
	for _, n := range nets {
		out = append(out, fmt.Sprintf("%-*s  %s", width, n.Host, strings.Join(n.Networks, ", ")))
	}
	return out
}
