package lang

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Checks of the values of single container options.

func validHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, p := range strings.Split(s, ".") {
		if !hostLabelRe.MatchString(p) {
			return false
		}
	}
	return true
}

func checkExtraHost(s string) (string, error) {
	name, ip, ok := strings.Cut(s, ":")
	if !ok || !validHostname(name) || ip != "host-gateway" && net.ParseIP(ip) == nil {
		return "", fmt.Errorf("%q is not \"name:ip\", e.g. \"db.internal:10.0.0.5\" or \"host.docker.internal:host-gateway\"", s)
	}
	return s, nil
}

func checkDevice(s string) (string, error) {
	parts := strings.Split(s, ":")
	ok := strings.HasPrefix(parts[0], "/")
	switch len(parts) {
	case 1:
	case 2:
		ok = ok && (strings.HasPrefix(parts[1], "/") || isPerms(parts[1]))
	case 3:
		ok = ok && strings.HasPrefix(parts[1], "/") && isPerms(parts[2])
	default:
		ok = false
	}
	if !ok {
		return "", fmt.Errorf("%q is not \"/dev/on-host[:/dev/in-container][:rwm]\"", s)
	}
	return s, nil
}

func isPerms(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("rwm", r) || strings.Count(s, string(r)) > 1 {
			return false
		}
	}
	return true
}

// normalizeCap turns "net_admin" or "CAP_NET_ADMIN" into "NET_ADMIN".
func normalizeCap(s string) (string, error) {
	c := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "CAP_")
	for _, k := range capabilities {
		if k == c {
			return c, nil
		}
	}
	return "", fmt.Errorf("%q is not a Linux capability such as \"NET_ADMIN\" or \"SYS_PTRACE\" (or \"ALL\")", s)
}

func checkSecurityOpt(s string) (string, error) {
	key, val, hasVal := strings.Cut(s, "=")
	if !hasVal {
		key, val, hasVal = strings.Cut(s, ":")
	}
	switch key {
	case "no-new-privileges":
		if !hasVal || val == "true" || val == "false" {
			return s, nil
		}
	case "label", "apparmor", "seccomp", "systempaths":
		if hasVal && val != "" {
			return s, nil
		}
	}
	return "", fmt.Errorf("%q is not a security option: \"no-new-privileges\", \"apparmor=PROFILE\", \"seccomp=PROFILE\", \"label=...\" or \"systempaths=unconfined\"", s)
}

func checkTmpfs(s string) (string, error) {
	path, opts, _ := strings.Cut(s, ":")
	if !strings.HasPrefix(path, "/") || path == "/" || strings.ContainsAny(opts, " \t") {
		return "", fmt.Errorf("%q is not \"/path/in/container[:options]\", e.g. \"/tmp:size=64m,mode=1777\"", s)
	}
	return s, nil
}

// parseUlimit reads "SOFT" or "SOFT:HARD" for a known limit; -1 is unlimited.
func parseUlimit(name, v string) (Ulimit, error) {
	known := false
	for _, n := range ulimitNames {
		known = known || n == name
	}
	if !known {
		return Ulimit{}, fmt.Errorf("%q is not a resource limit (%s)", name, strings.Join(ulimitNames, ", "))
	}
	soft, hard, hasHard := strings.Cut(v, ":")
	if !hasHard {
		hard = soft
	}
	s, err1 := strconv.ParseInt(soft, 10, 64)
	h, err2 := strconv.ParseInt(hard, 10, 64)
	switch {
	case err1 != nil || err2 != nil || s < -1 || h < -1:
		return Ulimit{}, fmt.Errorf("ulimit %s = %q is not \"SOFT\" or \"SOFT:HARD\" (whole numbers, -1 unlimited)", name, v)
	case h != -1 && (s == -1 || s > h):
		return Ulimit{}, fmt.Errorf("ulimit %s = %q: the soft limit is above the hard one", name, v)
	}
	return Ulimit{Soft: s, Hard: h}, nil
}
