package main

import (
	"fmt"
	"net"

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

// freePort is a loopback TCP port nothing listens on now.
func freePort(ts *testscript.TestScript) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// simPeakCmd is `simpeak`: prints "peak N", the most SSH connections the
// fleet had open at once since the last simpeak (or the start).
func simPeakCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: simpeak")
	}
	fmt.Fprintf(ts.Stdout(), "peak %d\n", fleetOf(ts).fleet.PeakConnections())
}
