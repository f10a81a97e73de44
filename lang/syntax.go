package lang

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/internal/imageref"
)

var (
	nameRe    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	tagRe     = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}$`)
	domainRe  = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]{1,5})?$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// parseImage parses a Docker image reference (imageref's grammar).
func parseImage(s string) (imageref.Ref, error) { return imageref.Parse(s) }

// parsePort parses "[ip:]host:container[/tcp|udp]".
func parsePort(s string) (Port, error) {
	var p Port
	spec, proto, hasProto := strings.Cut(s, "/")
	if hasProto {
		if proto != "tcp" && proto != "udp" {
			return p, fmt.Errorf("the protocol %q is not tcp or udp", proto)
		}
		p.Protocol = proto
	} else {
		p.Protocol = "tcp"
	}
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 2:
	case 3:
		if net.ParseIP(parts[0]) == nil {
			return p, fmt.Errorf("%q is not an IP address", parts[0])
		}
		p.HostIP = parts[0]
		parts = parts[1:]
	default:
		return p, errors.New(`expected "[ip:]host-port:container-port[/tcp|udp]", e.g. "80:8080"`)
	}
	var err error
	if p.HostPort, err = portNumber(parts[0]); err != nil {
		return p, err
	}
	if p.ContainerPort, err = portNumber(parts[1]); err != nil {
		return p, err
	}
	return p, nil
}

func portNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != s {
		return 0, fmt.Errorf("%q is not a port number from 1 to 65535", s)
	}
	return n, nil
}

// checkVolume checks "source:/container/path[:ro|rw]".
func checkVolume(s string) error {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return errors.New(`expected "host-path-or-volume:/container/path[:ro]"`)
	}
	if !strings.HasPrefix(parts[1], "/") {
		return fmt.Errorf("the container path %q is not absolute", parts[1])
	}
	if len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw" {
		return fmt.Errorf("the mode %q is not ro or rw", parts[2])
	}
	return nil
}

// shortVersion abbreviates a version for container names: a git SHA to 7
// characters (keeping -dirty), a valid name as it is, anything else
// sanitised.
func shortVersion(v string, fromGit bool) string {
	if fromGit {
		sha, dirty := strings.CutSuffix(v, "-dirty")
		if len(sha) > 7 {
			sha = sha[:7]
		}
		if dirty {
			return sha + "-dirty"
		}
		return sha
	}
	if nameRe.MatchString(v) && len(v) <= 64 {
		return v
	}
	var b strings.Builder
	for _, r := range v {
		if r < 128 && (r == '_' || r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "_.-")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "v"
	}
	return s
}

// ShortVersion is the container-name form of a version given explicitly
// (not from git), as Load computes it for deploy.version and var.version:
// berth rollback uses it for the version it returns to.
func ShortVersion(v string) string { return shortVersion(v, false) }
