package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/berth-sh/berth/test/sim"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"berth": func() {
			os.Exit(run(context.Background(), os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
		},
		// berth under the open files limit BERTH_TEST_NOFILE (soft and hard).
		"berth-nofile": func() {
			if err := setNoFile(os.Getenv("BERTH_TEST_NOFILE")); err != nil {
				fmt.Fprintln(os.Stderr, "berth-nofile:", err)
				os.Exit(3)
			}
			os.Exit(run(context.Background(), os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: each runs the real
// berth binary and checks its exit status, stdout, stderr and files. A
// script can bring up a simulated fleet with `sim N` (see simCmd).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"sim": simCmd},
	})
}

// simCmd is the script command `sim N`: N simulated hosts (test/sim:
// in-process SSH servers with an in-memory Docker Engine API, h1 .. hN on
// 127.0.0.1) and a registry with app:v1, v2, v3 and broken (a build that
// exits as soon as it starts) and cache:7, at $SIM_REGISTRY, for the rest of the
// script. It writes berth.hcl (service "sim": web on every host, h1 its
// primary, and a worker), the SSH key and known_hosts into the working
// directory.
func simCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sim N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		ts.Fatalf("sim: %q is not a number of hosts", args[0])
	}
	fleet, err := sim.Start(sim.Options{Hosts: n})
	if err != nil {
		ts.Fatalf("sim: %v", err)
	}
	ts.Defer(fleet.Close)
	reg := sim.StartRegistry()
	ts.Defer(reg.Close)
	for _, v := range []string{"v1", "v2", "v3", "broken"} {
		reg.Push("app", v)
	}
	reg.Push("cache", "7")
	ts.Setenv("SIM_REGISTRY", reg.Host()) // for accessories: image = "${var.registry}/cache:7"
	dir := ts.MkAbs(".")
	id, kh, err := fleet.WriteClientFiles(dir)
	if err != nil {
		ts.Fatalf("sim: %v", err)
	}
	if err := fleet.WriteConfig(dir, sim.ConfigOptions{Registry: reg.Host(), Identity: id, KnownHosts: kh}); err != nil {
		ts.Fatalf("sim: %v", err)
	}
}
