package main

import (
	"github.com/rogpeppe/go-internal/testscript"
)

// simDockerdCmd is `simdockerd HOST PATH`: HOST's daemon answers on the
// unix socket PATH (relative to the script's directory) as well, for the
// rest of the script: a "local" Docker daemon for builds.
func simDockerdCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: simdockerd HOST PATH")
	}
	stop, err := host(ts, args[0]).ServeUnix(ts.MkAbs(args[1]))
	if err != nil {
		ts.Fatalf("simdockerd: %v", err)
	}
	ts.Defer(stop)
}
