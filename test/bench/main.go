// Command bench measures berth's speed: how long plan and apply take on
// the lab's real hosts against the same Docker work done by hand over SSH,
// how plan and apply grow on simulated fleets of up to 1,000 hosts
// (test/sim), and Go benchmarks of the decoder, the diff, the graph and
// the plan file at 1,000 hosts. Each subcommand writes its figures as JSON;
// `bench report` renders them as one Markdown table.
//
//	bench sim     -out sim.json  [-sizes 10,100,500,1000] [-latency 50ms] [-runs 3]
//	bench lab     -out lab3.json [-hosts 3] [-runs 5] [-parallelism 10]
//	bench proxy   -out proxy.json [-runs 5]
//	bench build   -out build.json [-hosts h1,h2] [-runs 5]
//	bench gobench -out go.json
//	bench report  sim.json lab3.json go.json ...
//
// bench.sh runs them all; it is what `make bench` calls.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: bench sim|lab|gobench|report [flags]")
	}
	switch args[0] {
	case "sim":
		return runSim(ctx, args[1:])
	case "lab":
		return runLab(ctx, args[1:])
	case "proxy":
		return runProxy(ctx, args[1:])
	case "build":
		return runBuild(ctx, args[1:])
	case "gobench":
		return runGoBench(args[1:])
	case "serve":
		return runServe(ctx, args[1:])
	case "report":
		return runReport(args[1:])
	}
	return fmt.Errorf("unknown subcommand %q: want sim, lab, gobench or report", args[0])
}
