package lang

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// RunOptions are the Docker options of a role's or accessory's containers
// beyond the command, environment, ports and volumes. The zero value of
// every field means Docker's own default (and "unless-stopped" for Restart).
type RunOptions struct {
	Memory            int64   // bytes; `memory = "512m"`
	MemoryReservation int64   // bytes, a soft limit
	CPUs              float64 // `cpus = 1.5`
	PidsLimit         int64
	Restart           string // "no", "always", "on-failure", "on-failure:N"; "" = "unless-stopped"
	User              string // "name", "uid", "uid:gid"
	Workdir           string // absolute path in the container
	Entrypoint        []string
	Init              bool
	Hostname          string
	ExtraHosts        []string // "name:ip"
	Devices           []string // "/dev/on-host[:/dev/in-container[:rwm]]"
	CapAdd, CapDrop   []string // "NET_ADMIN", ..., "ALL"
	SecurityOpt       []string // "no-new-privileges", "apparmor=...", ...
	Sysctls           map[string]string
	Ulimits           map[string]Ulimit // by name: "nofile", "nproc", ...
	ShmSize           int64             // bytes
	Tmpfs             []string          // "/path[:options]"
	ReadOnly          bool
	Logging           *Logging
}

// Ulimit is one resource limit; -1 is unlimited.
type Ulimit struct {
	Soft, Hard int64
}

// Logging is the `logging` block: Docker's log driver and its options.
type Logging struct {
	Driver  string            // "" = the daemon's default
	Options map[string]string // e.g. {"max-size" = "10m"}
}

// DefaultRestart is the restart policy of a container that sets none.
const DefaultRestart = "unless-stopped"

// minMemory is the smallest memory limit Docker accepts.
const minMemory = 6 << 20

var (
	sizeRe      = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(?:i?b)?$`)
	userRe      = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	hostLabelRe = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	sysctlRe    = regexp.MustCompile(`^[a-z0-9_]+(?:[./][a-zA-Z0-9_-]+)+$`)
	driverRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9_./:-]*$`)
)

// capabilities are the Linux capabilities (without "CAP_") cap_add and
// cap_drop take, besides "ALL".
var capabilities = strings.Fields(`CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
	SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
	SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE
	SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN
	SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE ALL`)

// ulimitNames are the resource limits Docker knows.
var ulimitNames = strings.Fields(`core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack`)

// ParseSize reads a size such as "128m", "1g", "512MiB" or "1048576"
// (bytes) in powers of 1024.
func ParseSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size such as \"512m\" or \"1g\" (b, k, m, g or t)", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	shift := strings.Index("kmgt", m[2]) + 1
	if m[2] == "" {
		shift = 0
	}
	v := n * math.Pow(1024, float64(shift))
	if v >= math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}

// ParseRestart reads a restart policy: "no", "always", "unless-stopped",
// "on-failure" or "on-failure:N" (N retries at most).
func ParseRestart(s string) (name string, retries int, err error) {
	name, n, hasN := strings.Cut(s, ":")
	switch name {
	case "no", "always", "unless-stopped":
		if hasN {
			return "", 0, fmt.Errorf("%q: only on-failure takes a number of retries", s)
		}
		return name, 0, nil
	case "on-failure":
		if !hasN {
			return name, 0, nil
		}
		retries, err = strconv.Atoi(n)
		if err != nil || retries < 1 || retries > 1000 || strconv.Itoa(retries) != n {
			return "", 0, fmt.Errorf("%q: the number of retries is a whole number from 1 to 1000", s)
		}
		return name, retries, nil
	}
	return "", 0, fmt.Errorf("%q is not a restart policy: \"no\", \"always\", \"unless-stopped\", \"on-failure\" or \"on-failure:N\"", s)
}

// optionDiag is a diagnostic about the value of attribute a.
func optionDiag(summary string, expr hcl.Expression, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: expr.Range().Ptr()}
}

// decodeOptions reads the container options of a role or accessory.
func (l *loader) decodeOptions(at hcl.Attributes) RunOptions {
	var o RunOptions
	l.decodeResources(at, &o)
	if v, ok := l.str(at["restart"]); ok {
		if name, n, err := ParseRestart(v); err != nil {
			l.diags = append(l.diags, optionDiag("Invalid restart policy", at["restart"].Expr, err.Error()+"."))
		} else if v != DefaultRestart {
			o.Restart = name
			if n > 0 {
				o.Restart += ":" + strconv.Itoa(n)
			}
		}
	}
	l.decodeProcess(at, &o)
	o.ExtraHosts = l.checkedList(at["extra_hosts"], "Invalid extra host", checkExtraHost)
	o.Devices = l.checkedList(at["devices"], "Invalid device", checkDevice)
	o.CapAdd = l.checkedList(at["cap_add"], "Invalid capability", normalizeCap)
	o.CapDrop = l.checkedList(at["cap_drop"], "Invalid capability", normalizeCap)
	o.SecurityOpt = l.checkedList(at["security_opt"], "Invalid security option", checkSecurityOpt)
	o.Tmpfs = l.checkedList(at["tmpfs"], "Invalid tmpfs", checkTmpfs)
	o.Sysctls = l.sysctls(at["sysctls"])
	o.Ulimits = l.ulimits(at["ulimits"])
	return o
}

// decodeResources reads memory, memory_reservation, shm_size, cpus and
// pids_limit.
func (l *loader) decodeResources(at hcl.Attributes, o *RunOptions) {
	o.Memory = l.size(at["memory"], minMemory)
	o.MemoryReservation = l.size(at["memory_reservation"], minMemory)
	if o.Memory > 0 && o.MemoryReservation > o.Memory {
		l.diags = append(l.diags, optionDiag("Invalid memory_reservation", at["memory_reservation"].Expr,
			"memory_reservation is a soft limit below memory, the hard one."))
	}
	o.ShmSize = l.size(at["shm_size"], 1)
	if a := at["cpus"]; a != nil {
		if v, ok := l.value(a.Expr, cty.Number, "cpus"); ok {
			f, _ := v.AsBigFloat().Float64()
			if f <= 0 || f > 1024 {
				l.diags = append(l.diags, optionDiag("Invalid cpus", a.Expr, "cpus is a number of CPUs above 0, such as 0.5 or 2."))
			} else {
				o.CPUs = f
			}
		}
	}
	if v, ok := l.integer(at["pids_limit"], 1, 1<<22); ok {
		o.PidsLimit = int64(v)
	}
}

// decodeProcess reads how the container's process runs: user, workdir,
// entrypoint, init, read_only and hostname.
func (l *loader) decodeProcess(at hcl.Attributes, o *RunOptions) {
	if v, ok := l.str(at["user"]); ok {
		if !userRe.MatchString(v) {
			l.diags = append(l.diags, optionDiag("Invalid user", at["user"].Expr, fmt.Sprintf("%q is not a user such as \"app\", \"1000\" or \"1000:1000\".", v)))
		} else {
			o.User = v
		}
	}
	if v, ok := l.str(at["workdir"]); ok {
		if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "\x00:") {
			l.diags = append(l.diags, optionDiag("Invalid workdir", at["workdir"].Expr, fmt.Sprintf("%q is not an absolute path in the container.", v)))
		} else {
			o.Workdir = v
		}
	}
	if els, ok := l.strList(at["entrypoint"]); ok {
		for _, e := range els {
			o.Entrypoint = append(o.Entrypoint, e.val.AsString())
		}
		if len(o.Entrypoint) == 0 || o.Entrypoint[0] == "" {
			l.diags = append(l.diags, optionDiag("Empty entrypoint", at["entrypoint"].Expr,
				"entrypoint is a non-empty list such as [\"/app\"]; leave it out to keep the image's own."))
			o.Entrypoint = nil
		}
	}
	o.Init, _ = l.boolean(at["init"])
	o.ReadOnly, _ = l.boolean(at["read_only"])
	if v, ok := l.str(at["hostname"]); ok {
		if !validHostname(v) {
			l.diags = append(l.diags, optionDiag("Invalid hostname", at["hostname"].Expr, fmt.Sprintf("%q is not a host name (letters, digits and '-', labels of at most 63 characters).", v)))
		} else {
			o.Hostname = v
		}
	}
}

// size reads a size of at least lo bytes; 0 when absent or invalid.
func (l *loader) size(a *hcl.Attribute, lo int64) int64 {
	v, ok := l.str(a)
	if !ok {
		return 0
	}
	n, err := ParseSize(v)
	if err == nil && n < lo {
		err = fmt.Errorf("%q is below the minimum of %s", v, FormatSize(lo))
	}
	if err != nil {
		l.diags = append(l.diags, optionDiag("Invalid size", a.Expr, fmt.Sprintf("%s: %s.", a.Name, err)))
		return 0
	}
	return n
}

// FormatSize renders bytes the way sizes are written: "128m", "1g", "1536k".
func FormatSize(n int64) string {
	for _, u := range []struct {
		s     string
		shift uint
	}{{"t", 40}, {"g", 30}, {"m", 20}, {"k", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10) + "b"
}

// checkedList reads a list of strings, each checked (and normalised) by check.
func (l *loader) checkedList(a *hcl.Attribute, summary string, check func(string) (string, error)) []string {
	els, ok := l.strList(a)
	if !ok {
		return nil
	}
	var out []string
	for _, e := range els {
		v, err := check(e.val.AsString())
		if err != nil {
			l.diags = append(l.diags, optionDiag(summary, e.expr, err.Error()+"."))
			continue
		}
		out = append(out, v)
	}
	return out
}

func (l *loader) sysctls(a *hcl.Attribute) map[string]string {
	els, ok := l.strMap(a, false)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, e := range els {
		if !sysctlRe.MatchString(e.key) || e.val.AsString() == "" {
			l.diags = append(l.diags, optionDiag("Invalid sysctl", e.expr, fmt.Sprintf("%q = %q is not a kernel parameter such as net.core.somaxconn with a value.", e.key, e.val.AsString())))
			continue
		}
		out[e.key] = e.val.AsString()
	}
	return out
}

func (l *loader) ulimits(a *hcl.Attribute) map[string]Ulimit {
	els, ok := l.strMap(a, false)
	if !ok {
		return nil
	}
	out := map[string]Ulimit{}
	for _, e := range els {
		u, err := parseUlimit(e.key, e.val.AsString())
		if err != nil {
			l.diags = append(l.diags, optionDiag("Invalid ulimit", e.expr, err.Error()+"."))
			continue
		}
		out[e.key] = u
	}
	return out
}

// decodeLogging reads a `logging` block.
func (l *loader) decodeLogging(b *hcl.Block) *Logging {
	content, diags := b.Body.Content(loggingSchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	lg := &Logging{}
	if v, ok := l.str(at["driver"]); ok {
		if !driverRe.MatchString(v) {
			l.diags = append(l.diags, optionDiag("Invalid log driver", at["driver"].Expr, fmt.Sprintf("%q is not a log driver name such as \"json-file\", \"local\" or \"journald\".", v)))
		} else {
			lg.Driver = v
		}
	}
	if els, ok := l.strMap(at["options"], false); ok {
		lg.Options = map[string]string{}
		for _, e := range els {
			if e.key == "" {
				l.diags = append(l.diags, optionDiag("Invalid log option", e.expr, "A log option has a name, such as \"max-size\"."))
				continue
			}
			lg.Options[e.key] = e.val.AsString()
		}
	}
	if at["driver"] == nil && len(lg.Options) > 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Log options without a driver",
			Detail: "logging options belong to a driver: set driver = \"json-file\" (or another).", Subject: b.DefRange.Ptr()})
	}
	return lg
}

// depRef is one `accessory.NAME` of a role's depends_on, checked once every
// accessory is known.
type depRef struct {
	name string
	rng  hcl.Range
}

// dependsOn reads `depends_on = [accessory.db, ...]`; nil when absent (the
// role then depends on every accessory).
func (l *loader) dependsOn(role string, a *hcl.Attribute) []string {
	if a == nil {
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() {
		l.diags = append(l.diags, optionDiag("Invalid depends_on", a.Expr, "depends_on is a list of accessory references such as [accessory.db]."))
		return nil
	}
	out := []string{}
	for _, e := range exprs {
		t, d := hcl.AbsTraversalForExpr(e)
		name, ok := traversalAttr(t, 1)
		if d.HasErrors() || t.RootName() != "accessory" || len(t) != 2 || !ok {
			l.diags = append(l.diags, optionDiag("Invalid depends_on", e,
				"A role depends on accessories, referred to as accessory.NAME where NAME is the label of an accessory block."))
			continue
		}
		if slices.Contains(out, name) {
			l.diags = append(l.diags, optionDiag("Invalid depends_on", e, fmt.Sprintf("accessory.%s is listed twice in role %s.", name, role)))
			continue
		}
		out = append(out, name)
		l.deps = append(l.deps, depRef{name: name, rng: e.Range()})
	}
	return out
}

// checkDepends reports a depends_on naming an accessory that is not declared.
func (l *loader) checkDepends(cfg *Config) {
	declared := map[string]bool{}
	for _, a := range cfg.Accessories {
		declared[a.Name] = true
	}
	for _, d := range l.deps {
		if declared[d.name] {
			continue
		}
		detail := fmt.Sprintf("No accessory named %q is declared.", d.name)
		if s := suggest(d.name, declared); s != "" {
			detail += fmt.Sprintf(" Did you mean accessory.%s?", s)
		}
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared accessory",
			Detail: detail, Subject: d.rng.Ptr()})
	}
}
