package chaos

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Invariants, as the report names them.
const (
	InvOneRunning  = "one-running"  // one running container per (host, role), old or new version
	InvWebAnswers  = "web-answers"  // port 80 answers on every web host
	InvApplyClaims = "apply-claims" // an apply that exits 0 left every (host, role) on its version
	InvApplyEnds   = "apply-ends"   // every apply ends within its deadline, with a fitting exit code
	InvLock        = "lock"         // no lock left, or one clearly reported
	InvPlanHonest  = "plan-honest"  // the plan shows every (host, role) that is not exactly as configured
	InvConverges   = "converges"    // one apply converges to an empty plan
	InvSecrets     = "secrets"      // no secret in any output
	InvOneApply    = "one-apply"    // two applies never run at once
)

// Violation is one invariant that did not hold.
type Violation struct {
	Invariant string
	Seen      string
}

// Result is what happened in one round.
type Result struct {
	Round      Round
	Fired      bool          // the fault was fired (its moment came, or it needs none)
	FiredAfter time.Duration // from the apply's start
	Outage     time.Duration // from the fault until it was restored
	ApplyExit  int           // -1: killed by a signal
	SecondExit int           // two-applies
	Took       time.Duration // the whole round, checks and convergence included
	Strict     bool          // the state had to be one running container per slot after the round
	After      []string      // the first step boundaries berth printed after the fault fired
	Violations []Violation
	Notes      []string // what the fault did that is not a violation (expected damage)
	Error      string   // the harness could not carry out the round (the lab, not berth)
	Outputs    []Output // what every berth command of the round printed (not in the report)
}

// WriteOutputs writes everything berth printed in the round (the caller
// redacts the secrets): the evidence behind a violation.
func (x Result) WriteOutputs(w io.Writer) {
	fmt.Fprintf(w, "%s\n", x.Line())
	for _, o := range x.Outputs {
		fmt.Fprintf(w, "\n===== berth %s: stdout\n%s===== berth %s: stderr\n%s", o.What, o.Stdout, o.What, o.Stderr)
	}
}

// Report is the outcome of a run.
type Report struct {
	Seed     uint64
	Rounds   int    // as asked
	Only     int    // -1, or the one round replayed
	Hosts    string // "h1=h10 h2=h11 h3=h12"
	Schedule string // Digest of the schedule
	Results  []Result
	Took     time.Duration
}

// Violations counts the violations of every round.
func (r Report) Violations() int {
	n := 0
	for _, x := range r.Results {
		n += len(x.Violations)
	}
	return n
}

// Errors counts the rounds the harness could not carry out.
func (r Report) Errors() int {
	n := 0
	for _, x := range r.Results {
		if x.Error != "" {
			n++
		}
	}
	return n
}

// Failed reports whether the run must exit non-zero.
func (r Report) Failed() bool { return r.Violations() > 0 || r.Errors() > 0 }

// Replay is the command that runs the same schedule again.
func (r Report) Replay() string {
	if r.Only >= 0 {
		return fmt.Sprintf("make chaos SEED=%d ONLY=%d", r.Seed, r.Only)
	}
	return fmt.Sprintf("make chaos SEED=%d ROUNDS=%d", r.Seed, r.Rounds)
}

// Write renders the report as Markdown.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "# berth chaos report\n\n")
	fmt.Fprintf(w, "Seed %d, %d round(s), hosts %s, schedule %s. Replay: `%s`", r.Seed, len(r.Results), r.Hosts, r.Schedule, r.Replay())
	if r.Only < 0 {
		fmt.Fprintf(w, "; one round alone: `make chaos SEED=%d ONLY=N`", r.Seed)
	}
	fmt.Fprintf(w, ".\n\n")
	per := ""
	if n := len(r.Results); n > 0 {
		per = fmt.Sprintf(" (%.1f s a round)", r.Took.Seconds()/float64(n))
	}
	fmt.Fprintf(w, "Took %s%s. **%d violation(s)**", r.Took.Round(time.Second), per, r.Violations())
	if e := r.Errors(); e > 0 {
		fmt.Fprintf(w, ", %d round(s) the harness could not carry out", e)
	}
	fmt.Fprintf(w, ".\n\n")
	r.writeFaults(w)
	r.writeRounds(w)
	r.writeViolations(w)
	r.writeNotes(w)
}

func (r Report) writeFaults(w io.Writer) {
	fmt.Fprintf(w, "## Faults\n\n| fault | rounds | fired | violations | rounds with violations |\n|---|---|---|---|---|\n")
	for _, f := range Faults() {
		rounds, fired, viol, bad := 0, 0, 0, 0
		for _, x := range r.Results {
			if x.Round.Fault != f {
				continue
			}
			rounds++
			if x.Fired {
				fired++
			}
			viol += len(x.Violations)
			if len(x.Violations) > 0 {
				bad++
			}
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d |\n", f, rounds, fired, viol, bad)
	}
	fmt.Fprintln(w)
}

func (r Report) writeRounds(w io.Writer) {
	fmt.Fprintf(w, "## Rounds\n\n| # | versions | fault | host | moment | hold | fired | outage | apply | took | result |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Results {
		rd := x.Round
		versions := rd.Start + " → " + rd.Target
		if rd.Second != "" {
			versions += " (+ " + rd.Second + ")"
		}
		hold, outage := "", ""
		if rd.Fault.OnHost() {
			hold = HoldString(rd.Hold)
			if x.Fired {
				outage = seconds(x.Outage)
			}
		}
		fired := "no"
		if x.Fired {
			fired = "+" + seconds(x.FiredAfter)
		}
		apply := fmt.Sprintf("exit %d", x.ApplyExit)
		if x.ApplyExit == -1 {
			apply = "killed"
		}
		if rd.Fault == TwoApplies {
			apply += fmt.Sprintf(", 2nd exit %d", x.SecondExit)
		}
		result := "ok"
		switch {
		case x.Error != "":
			result = "harness error"
		case len(x.Violations) > 0:
			result = fmt.Sprintf("**%d violation(s)**", len(x.Violations))
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			rd.Index, versions, rd.Fault, rd.Host, rd.Moment, hold, fired, outage, apply, seconds(x.Took), result)
	}
	fmt.Fprintln(w)
}

func (r Report) writeViolations(w io.Writer) {
	fmt.Fprintf(w, "## Violations\n\n")
	if r.Violations() == 0 && r.Errors() == 0 {
		fmt.Fprintf(w, "None.\n\n")
		return
	}
	fmt.Fprintf(w, "| seed | round | fault | host | moment | hold | invariant | seen | berth went on with |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Results {
		rd := x.Round
		hold := ""
		if rd.Fault.OnHost() {
			hold = HoldString(rd.Hold)
		}
		row := func(inv, seen string) {
			fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.Seed, rd.Index, rd.Fault, rd.Host, rd.Moment, hold, inv, cell(seen), strings.Join(x.After, ", "))
		}
		for _, v := range x.Violations {
			row(v.Invariant, v.Seen)
		}
		if x.Error != "" {
			row("(harness)", x.Error)
		}
	}
	fmt.Fprintln(w)
}

func (r Report) writeNotes(w io.Writer) {
	var lines []string
	for _, x := range r.Results {
		for _, n := range x.Notes {
			lines = append(lines, fmt.Sprintf("- round %d (%s): %s", x.Round.Index, x.Round.Fault, n))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "## Notes\n\nWhat the faults did that no invariant forbids (e.g. a host left on nothing after berth was killed with SIGKILL or its dockerd died).\n\n%s\n\n", strings.Join(lines, "\n"))
}

// Line is one line about a finished round, for the live output.
func (x Result) Line() string {
	status := "ok"
	switch {
	case x.Error != "":
		status = "HARNESS ERROR: " + x.Error
	case len(x.Violations) > 0:
		var vs []string
		for _, v := range x.Violations {
			vs = append(vs, v.Invariant+": "+v.Seen)
		}
		status = fmt.Sprintf("%d VIOLATION(S): %s", len(x.Violations), strings.Join(vs, "; "))
	}
	fired := "not fired"
	if x.Fired {
		fired = "fired at +" + seconds(x.FiredAfter)
	}
	return fmt.Sprintf("%s; %s, apply exit %d, %s: %s", x.Round, fired, x.ApplyExit, seconds(x.Took), status)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// cell makes text fit one Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ⏎ ")), " ")
}
