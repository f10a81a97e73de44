//go:build e2e

package chaos

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

var (
	rounds     = flag.Int("rounds", 0, "rounds to run (0: skip TestChaos)")
	seed       = flag.Uint64("seed", 1, "the seed of the schedule")
	only       = flag.Int("only", -1, "run only this round of the seed's schedule, from its starting version")
	reportFile = flag.String("report", "last-report.md", "where to write the report, besides stdout")
	outputsDir = flag.String("outputs", "last-run", "where to write berth's output of every round with a violation")
)

// TestChaos runs make chaos: -rounds N -seed S [-only K] against the lab.
func TestChaos(t *testing.T) {
	if *rounds <= 0 && *only < 0 {
		t.Skip("make chaos ROUNDS=N [SEED=S] runs it (-args -rounds N)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	schedule := Schedule(*seed, *rounds)
	if *only >= 0 {
		schedule = Schedule(*seed, *only+1)[*only:]
	}
	h := newHarness(t, *seed)
	t.Cleanup(func() {
		cctx := context.Background()
		if err := h.repair(cctx); err != nil {
			t.Errorf("repair of the hosts: %v", err)
		}
		if st, _ := h.lockStatus(cctx); st == Locked {
			if err := h.releaseLock(cctx); err != nil {
				t.Errorf("%v", err)
			}
		}
		if err := h.removeContainers(); err != nil {
			t.Errorf("clean-up: %v", err)
		}
	})
	rep := Report{Seed: *seed, Rounds: *rounds, Only: *only, Hosts: h.hostMap(), Schedule: Digest(Schedule(*seed, max(*rounds, *only+1)))}
	fmt.Printf("chaos: seed %d, %d round(s) on %s, service %s, schedule %s\n", *seed, len(schedule), rep.Hosts, h.service, rep.Schedule)

	if *outputsDir != "" {
		if err := os.RemoveAll(*outputsDir); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()
	if err := h.repair(ctx); err != nil {
		t.Fatalf("the hosts are not healthy: %v", err)
	}
	if err := h.reset(ctx, schedule[0].Start); err != nil {
		t.Fatalf("cannot start from %s everywhere: %v", schedule[0].Start, err)
	}
	for _, r := range schedule {
		if ctx.Err() != nil {
			break
		}
		res := h.round(ctx, r)
		rep.Results = append(rep.Results, res)
		fmt.Println(Redact(res.Line(), h.secrets))
		if len(res.Violations) > 0 || res.Error != "" {
			h.saveOutputs(res)
		}
		if res.Error == "" {
			continue
		}
		// The harness could not finish the round: put the hosts right and
		// start the next round from its starting version.
		if err := h.repair(ctx); err != nil {
			fmt.Printf("chaos: cannot repair the hosts, stopping: %v\n", err)
			break
		}
		if err := h.reset(ctx, r.Final); err != nil {
			fmt.Printf("chaos: cannot reset the hosts, stopping: %v\n", err)
			break
		}
	}
	rep.Took = time.Since(t0)

	var b bytes.Buffer
	rep.Write(&b)
	out := Redact(b.String(), h.secrets)
	fmt.Print("\n" + out)
	if *reportFile != "" {
		if err := os.WriteFile(*reportFile, []byte(out), 0o644); err != nil {
			t.Errorf("write the report: %v", err)
		} else {
			fmt.Printf("(report written to %s)\n", *reportFile)
		}
	}
	if rep.Failed() {
		t.Errorf("%d violation(s), %d harness error(s): see the report; replay with %s", rep.Violations(), rep.Errors(), rep.Replay())
	}
	if ctx.Err() != nil {
		t.Errorf("interrupted after %d round(s)", len(rep.Results))
	}
}

// saveOutputs writes what berth printed in a round with a violation to
// -outputs/round-N.txt, secrets redacted.
func (h *harness) saveOutputs(res Result) {
	if *outputsDir == "" {
		return
	}
	var b bytes.Buffer
	res.WriteOutputs(&b)
	name := filepath.Join(*outputsDir, fmt.Sprintf("round-%03d.txt", res.Round.Index))
	err := os.MkdirAll(*outputsDir, 0o755)
	if err == nil {
		err = os.WriteFile(name, []byte(Redact(b.String(), h.secrets)), 0o644)
	}
	if err != nil {
		h.t.Logf("save the outputs of round %d: %v", res.Round.Index, err)
	}
}
