package deploy

import (
	"fmt"
	"syscall"

	"github.com/berth-sh/berth/lang"
)

// Parallelism when neither --parallelism nor deploy.parallelism says: a
// tenth of the fleet, at least minParallelism and at most maxParallelism
// steps at once.
const (
	minParallelism = 10
	maxParallelism = 256
)

// parallelism is how many steps an apply of hosts hosts runs at once: the
// flag, else deploy.parallelism, else a tenth of the hosts (10 to 256).
func parallelism(flag int, cfg *lang.Config, hosts int) int {
	switch {
	case flag > 0:
		return flag
	case cfg.Deploy.ParallelismSet:
		return cfg.Deploy.Parallelism
	}
	return defaultParallelism(hosts)
}

func defaultParallelism(hosts int) int {
	return min(max(minParallelism, hosts/10), maxParallelism)
}

// filesReserve are the descriptors berth needs besides one per host:
// standard streams, the Go runtime's poller, the configuration, plan and
// known_hosts files, the registry connection.
const filesReserve = 64

// checkOpenFiles makes sure the open files limit holds a connection to
// each of hosts hosts, before the first dial: berth keeps one SSH
// connection per host for the whole run. It raises the soft limit to the
// hard one when that is needed and refuses, naming the limit, when the
// hard limit is too low: better than hosts failing half-way through an
// apply with "too many open files".
func checkOpenFiles(hosts int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return nil // no limit to check
	}
	need := uint64(hosts) + filesReserve
	if l.Cur >= need {
		return nil
	}
	if l.Max >= need {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err == nil {
			return nil
		}
	}
	return fmt.Errorf("the open files limit (RLIMIT_NOFILE) is %d (hard limit %d), and berth needs about %d for %d hosts "+
		"(one SSH connection per host, plus %d): raise the hard limit (`ulimit -Hn %d` as root, LimitNOFILE= in a systemd unit, "+
		"nofile in /etc/security/limits.conf, --ulimit nofile= for a container); no host was contacted",
		l.Cur, l.Max, need, hosts, filesReserve, need)
}
