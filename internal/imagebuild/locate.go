package imagebuild

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultDockerHost is the local daemon's socket.
const DefaultDockerHost = "unix:///var/run/docker.sock"

// Endpoint is where a Docker daemon listens: a local socket, or a socket
// on a machine reached over SSH.
type Endpoint struct {
	Socket string // the daemon's unix socket path (local or on the SSH host)
	// SSH is set for ssh:// endpoints: the machine, "[user@]host[:port]".
	SSHHost string
	SSHUser string
	SSHPort int
	From    string // where it came from, for messages: "DOCKER_HOST", "docker context NAME", "default"
}

// Remote reports whether the daemon is reached over SSH.
func (e Endpoint) Remote() bool { return e.SSHHost != "" }

// LocateDaemon finds the daemon the way the docker CLI does: DOCKER_HOST,
// else the docker context (DOCKER_CONTEXT, else the config's
// currentContext), else the local socket. unix:// and ssh:// are
// supported; tcp:// is refused (berth does not speak the daemon's TLS).
func LocateDaemon(environ []string) (Endpoint, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	if h := env["DOCKER_HOST"]; h != "" {
		return parseHost(h, "DOCKER_HOST")
	}
	cfgDir := env["DOCKER_CONFIG"]
	if cfgDir == "" {
		cfgDir = filepath.Join(env["HOME"], ".docker")
	}
	name := env["DOCKER_CONTEXT"]
	if name == "" {
		name = currentContext(cfgDir)
	}
	if name != "" && name != "default" {
		h, err := contextHost(cfgDir, name)
		if err != nil {
			return Endpoint{}, err
		}
		return parseHost(h, "docker context "+name)
	}
	return parseHost(DefaultDockerHost, "default")
}

func parseHost(h, from string) (Endpoint, error) {
	u, err := url.Parse(h)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%s %q: %w", from, h, err)
	}
	switch u.Scheme {
	case "unix":
		return Endpoint{Socket: u.Path, From: from}, nil
	case "ssh":
		e := Endpoint{SSHHost: u.Hostname(), SSHUser: u.User.Username(), Socket: "/var/run/docker.sock", From: from}
		if p := u.Port(); p != "" {
			e.SSHPort, _ = strconv.Atoi(p)
		}
		return e, nil
	}
	return Endpoint{}, fmt.Errorf("%s %q: berth builds on unix:// or ssh:// daemons (tcp:// would need the daemon's TLS); use builder { host = ... } for a remote machine", from, h)
}

func currentContext(cfgDir string) string {
	b, err := os.ReadFile(filepath.Join(cfgDir, "config.json"))
	if err != nil {
		return ""
	}
	var c struct {
		CurrentContext string `json:"currentContext"`
	}
	_ = json.Unmarshal(b, &c)
	return c.CurrentContext
}

// contextHost reads the docker endpoint of a docker context.
func contextHost(cfgDir, name string) (string, error) {
	sum := sha256.Sum256([]byte(name))
	path := filepath.Join(cfgDir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("docker context %s: %w", name, err)
	}
	var m struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("docker context %s: %w", name, err)
	}
	h := m.Endpoints["docker"].Host
	if h == "" {
		return "", errors.New("docker context " + name + " names no docker endpoint")
	}
	return h, nil
}
