package planner

import "testing"

func TestReadParallelismAdaptsToTheFleet(t *testing.T) {
	for n, want := range map[int]int{1: 32, 3: 32, 32: 32, 100: 100, 256: 256, 1000: 256} {
		if got := readParallelism(n); got != want {
			t.Errorf("readParallelism(%d) = %d, want %d", n, got, want)
		}
	}
}
