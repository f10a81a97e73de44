package lang

import (
	"fmt"
	"strconv"
	"strings"
)

// signals are the Linux signals a container can be asked to stop with.
var signals = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6, "SIGBUS": 7,
	"SIGFPE": 8, "SIGKILL": 9, "SIGUSR1": 10, "SIGSEGV": 11, "SIGUSR2": 12, "SIGPIPE": 13,
	"SIGALRM": 14, "SIGTERM": 15, "SIGSTKFLT": 16, "SIGCHLD": 17, "SIGCONT": 18, "SIGSTOP": 19,
	"SIGTSTP": 20, "SIGTTIN": 21, "SIGTTOU": 22, "SIGURG": 23, "SIGXCPU": 24, "SIGXFSZ": 25,
	"SIGVTALRM": 26, "SIGPROF": 27, "SIGWINCH": 28, "SIGIO": 29, "SIGPWR": 30, "SIGSYS": 31,
}

// normalizeSignal turns "TERM", "sigterm", "SIGTERM" or "15" into "SIGTERM".
func normalizeSignal(s string) (string, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(name); err == nil {
		for k, v := range signals {
			if v == n {
				return k, nil
			}
		}
		return "", fmt.Errorf("%q is not a signal number of Linux (1 to 31)", s)
	}
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if _, ok := signals[name]; !ok {
		return "", fmt.Errorf("%q is not a signal name such as \"SIGTERM\", \"SIGQUIT\" or \"SIGINT\"", s)
	}
	return name, nil
}

// applyStopDefaults gives every role and accessory without a stop_timeout
// the deploy block's, so that nothing downstream needs a fallback.
func applyStopDefaults(cfg *Config) {
	for i := range cfg.Roles {
		if cfg.Roles[i].Stop.Timeout == 0 {
			cfg.Roles[i].Stop.Timeout = cfg.Deploy.StopTimeout
		}
	}
	for i := range cfg.Accessories {
		if cfg.Accessories[i].Stop.Timeout == 0 {
			cfg.Accessories[i].Stop.Timeout = cfg.Deploy.StopTimeout
		}
	}
}
