package main

import (
	"math"
	"sort"
)

// median of xs (0 for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// fit is a least-squares line y = a + b*x with its coefficient of determination.
type fit struct{ A, B, R2 float64 }

func linearFit(xs, ys []float64) fit {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return fit{}
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return fit{}
	}
	b := (n*sxy - sx*sy) / den
	a := (sy - b*sx) / n
	var ssTot, ssRes float64
	mean := sy / n
	for i := range xs {
		ssTot += (ys[i] - mean) * (ys[i] - mean)
		r := ys[i] - (a + b*xs[i])
		ssRes += r * r
	}
	r2 := 1.0
	if ssTot > 0 {
		r2 = 1 - ssRes/ssTot
	}
	return fit{A: a, B: b, R2: r2}
}

// exponent fits y = c * x^k on a log-log scale and returns k: 1 is
// linear growth, 2 quadratic.
func exponent(xs, ys []float64) float64 {
	var lx, ly []float64
	for i := range xs {
		if xs[i] > 0 && ys[i] > 0 {
			lx = append(lx, math.Log(xs[i]))
			ly = append(ly, math.Log(ys[i]))
		}
	}
	return linearFit(lx, ly).B
}
