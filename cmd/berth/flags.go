package main

import (
	"time"

	"github.com/spf13/pflag"
)

const parallelismUsage = "steps run at once (default: deploy.parallelism, else a tenth of the hosts, 10 to 256)"

// registerLockWait adds --lock-wait to a command that takes the lock.
func registerLockWait(f *pflag.FlagSet, wait *time.Duration) {
	f.DurationVar(wait, "lock-wait", 0, "wait up to `DURATION` (e.g. 5m) for the deploy lock instead of failing at once when it is held")
}

// registerReplace adds --replace to plan and apply.
func registerReplace(f *pflag.FlagSet, replace *[]string) {
	f.StringArrayVar(replace, "replace", nil, "force a new container of the same version for this host, role or host/role (repeatable), through the barrier")
}
