package main

import (
	"math"
	"testing"
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
