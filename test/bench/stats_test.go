package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3 1 2 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 1 3 2 = %v", m)
	}
}

func TestFits(t *testing.T) {
	xs := []float64{10, 100, 500, 1000}
	lin := []float64{0.5 + 0.01*10, 0.5 + 0.01*100, 0.5 + 0.01*500, 0.5 + 0.01*1000}
	f := linearFit(xs, lin)
	if math.Abs(f.A-0.5) > 1e-9 || math.Abs(f.B-0.01) > 1e-9 || f.R2 < 0.999 {
		t.Errorf("linear fit %+v", f)
	}
	quad := []float64{100, 10000, 250000, 1000000}
	if k := exponent(xs, quad); math.Abs(k-2) > 1e-9 {
		t.Errorf("exponent of x² = %v", k)
	}
}

func TestBarrierAfter(t *testing.T) {
	out := "Plan: 0 to create\n07:50:27.697  h1/web  pull  started\n07:50:27.804  h1/web  pull  done in 107ms\n" +
		"07:50:28.183  apply  barrier open: the primary role is healthy\n"
	d, ok := barrierAfter(out)
	if !ok || d != 486*time.Millisecond {
		t.Errorf("barrierAfter = %v, %v; want 486ms", d, ok)
	}
	if _, ok := barrierAfter("no progress lines\n"); ok {
		t.Error("found a barrier in output without one")
	}
}

func TestShownArgs(t *testing.T) {
	got := shownArgs([]string{"-hosts", "3", "-out", "/tmp/x.json", "-order=100", "-runs", "5"})
	if got != "-hosts 3 -runs 5" {
		t.Errorf("shownArgs = %q", got)
	}
}

func TestRenderNamesTargetsAndRatios(t *testing.T) {
	var b strings.Builder
	render(&b, []Results{{Command: "bench lab", Rows: []Row{{Scenario: "lab", What: "apply", Berth: []float64{2, 3, 4}, RefName: "by hand", Ref: []float64{2.5},
		ConnsPerHost: 1, Target: "≤ 1.2× by hand", Met: boolp(false)}}}})
	for _, want := range []string{"3.00 s (n=3)", "by hand: 2.50 s", "1.20×", "| 1.00 |", "**missed**", "`bench lab`"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestShellQuote(t *testing.T) {
	if got := shellQuote([]string{"bin/berth", "--chdir", "/tmp/a b", "it's"}); got != `'bin/berth' '--chdir' '/tmp/a b' 'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}

func TestGrowthNote(t *testing.T) {
	ns := []float64{10, 100, 1000}
	note := growthNote(ns, []float64{0.1, 0.2, 1.1}, []float64{1, 2, 11}, []float64{20, 40, 240})
	for _, want := range []string{"| plan time | 0.09 s | 1.01 ms | 1.000 | 1.00 ms (100 → 1000 hosts) |", "| apply peak RSS | 18 MB | 0.222 MB |"} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q:\n%s", want, note)
		}
	}
}
