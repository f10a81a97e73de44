package executor

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// parsePorts turns "[ip:]host:container[/proto]" back into bindings.
func parsePorts(specs []string) ([]dockerapi.Port, error) {
	var out []dockerapi.Port
	for _, s := range specs {
		p := dockerapi.Port{Protocol: "tcp"}
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			p.Protocol, s = s[i+1:], s[:i]
		}
		parts := strings.Split(s, ":")
		if len(parts) == 3 {
			p.HostIP, parts = parts[0], parts[1:]
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("malformed port mapping %q", s)
		}
		var err1, err2 error
		p.HostPort, err1 = strconv.Atoi(parts[0])
		p.ContainerPort, err2 = strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed port mapping %q", s)
		}
		out = append(out, p)
	}
	return out, nil
}
