package lang

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
)

// NetworkPrefix makes the default network of a service: "berth-SERVICE".
const NetworkPrefix = "berth-"

// networkRe is what Docker accepts as a network name.
var networkRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// reservedNetworks are Docker's own networks: the default bridge gives no
// names to containers, "host" and "none" no network of their own, so none
// of them can be a service's network.
var reservedNetworks = map[string]bool{"bridge": true, "host": true, "none": true, "default": true}

// Network is the Docker network every role and accessory container of the
// service joins on each host: service.network, else "berth-SERVICE".
func (c *Config) Network() string {
	if c.Service.Network != "" {
		return c.Service.Network
	}
	return NetworkPrefix + c.Service.Name
}

// decodeNetwork reads service.network.
func (l *loader) decodeNetwork(a *hcl.Attribute, cfg *Config) {
	s, ok := l.str(a)
	if !ok {
		return
	}
	if !networkRe.MatchString(s) || len(s) > 128 || reservedNetworks[s] {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid network",
			Detail: fmt.Sprintf("%q cannot be the service's network: berth needs a user-defined bridge network, "+
				"on which containers reach each other by name (letters, digits, '_', '.' and '-', "+
				"starting with a letter or digit; not bridge, host or none). Leave it out for %q.",
				s, NetworkPrefix+cfg.Service.Name),
			Subject: a.Expr.Range().Ptr()})
		return
	}
	cfg.Service.Network = s
}
