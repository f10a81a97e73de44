package live

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// Kamal's own labels and names (basecamp/kamal, lib/kamal/configuration/
// role.rb and accessory.rb): a role's containers carry service=SERVICE,
// role=ROLE and destination=DEST and are named SERVICE-ROLE[-DEST]-VERSION;
// an accessory's carry service=SERVICE-NAME and are named SERVICE-NAME.
const (
	kamalService     = "service"
	kamalRole        = "role"
	kamalDestination = "destination"
)

// Kamal names the Kamal app whose containers a takeover reads as the
// service's current version.
type Kamal struct {
	Service     string
	Destination string // "" = none
}

// TakeOver makes every ReadState also read the containers of k, as
// containers of the service marked planner.TakeoverKamal.
func (r *Reader) TakeOver(k Kamal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kamal = &k
}

// FromKamal maps the containers of Kamal's app k in a listing: its roles'
// containers by their labels, its accessories' by their service label
// SERVICE-NAME. A container berth started, and Kamal's proxy, are never
// among them.
func FromKamal(k Kamal, list []dockerapi.ContainerSummary) []planner.Container {
	var out []planner.Container
	for _, s := range list {
		if s.Labels[planner.LabelService] != "" || s.Labels[planner.LabelProxy] != "" {
			continue
		}
		c, ok := kamalContainer(k, s)
		if ok {
			out = append(out, c)
		}
	}
	newestFirst(out)
	return out
}

func kamalContainer(k Kamal, s dockerapi.ContainerSummary) (planner.Container, bool) {
	svc, role := s.Labels[kamalService], s.Labels[kamalRole]
	c := container(s)
	c.Role, c.Accessory, c.Version, c.ConfigHash = "", "", "", ""
	c.Takeover = planner.TakeoverKamal
	switch {
	case role != "":
		if svc != k.Service || s.Labels[kamalDestination] != k.Destination {
			return c, false
		}
		prefix := k.Service + "-" + role + "-"
		if k.Destination != "" {
			prefix += k.Destination + "-"
		}
		c.Role = role
		c.Version, _ = strings.CutPrefix(s.Name, prefix)
		if c.Version == s.Name {
			c.Version = ""
		}
	case strings.HasPrefix(svc, k.Service+"-") && s.Name == svc:
		c.Accessory = strings.TrimPrefix(svc, k.Service+"-")
	default:
		return c, false
	}
	return c, true
}

// readKamal picks from a host's listing (every container: readLists)
// k's containers and, when Kamal's proxy runs there, the proxy and every
// route in it (`kamal-proxy list`): a host whose berth proxy does not run
// adopts it (planner decides).
func readKamal(ctx context.Context, c *dockerapi.Client, host string, k Kamal, list []dockerapi.ContainerSummary) ([]planner.Container, []planner.LiveRoute, error) {
	out := FromKamal(k, list)
	for _, s := range list {
		if s.Name != planner.KamalProxy || s.Labels[planner.LabelProxy] != "" {
			continue
		}
		p := container(s)
		p.Takeover = planner.TakeoverKamal
		out = append(out, p)
		if !p.Running() {
			continue
		}
		code, text, err := c.Exec(ctx, p.ID, planner.ProxyListArgs)
		if err == nil && code != 0 {
			err = fmt.Errorf("exit %d: %s", code, strings.TrimSpace(string(text)))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("host %s: read the routes of Kamal's %s (kamal-proxy list): %w", host, p.Name, err)
		}
		return out, planner.ParseProxyList(string(text)), nil
	}
	return out, nil, nil
}
