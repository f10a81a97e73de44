package chaos

import (
	"strings"
	"testing"
	"time"
)

func TestReportNamesEveryViolationWithItsSeed(t *testing.T) {
	rounds := Schedule(5, 2)
	r := Report{Seed: 5, Rounds: 2, Only: -1, Hosts: "h1=h10 h2=h11 h3=h12", Schedule: Digest(rounds), Took: 20 * time.Second}
	r.Results = []Result{
		{Round: rounds[0], Fired: true, FiredAfter: 600 * time.Millisecond, ApplyExit: 1, Took: 9 * time.Second, Strict: true,
			Violations: []Violation{{InvPlanHonest, "h3/worker runs v1 and v2 | but the plan shows no change"}}},
		{Round: rounds[1], Fired: true, ApplyExit: 0, Took: 7 * time.Second, Notes: []string{"h2/web runs nothing"}},
	}
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		"Seed 5, 2 round(s)", "make chaos SEED=5 ROUNDS=2", "**1 violation(s)**",
		"| " + string(rounds[0].Fault) + " | 1 | 1 | 1 | 1 |",
		"| 5 | 0 | " + string(rounds[0].Fault), `h3/worker runs v1 and v2 \| but`,
		"- round 1 (" + string(rounds[1].Fault) + "): h2/web runs nothing",
		"(10.0 s a round)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if !r.Failed() {
		t.Error("a report with a violation did not fail")
	}
	if (Report{Only: 3, Seed: 9}).Replay() != "make chaos SEED=9 ONLY=3" {
		t.Error("replay of one round")
	}
}
