package deploy

import (
	"testing"

	"github.com/berth-sh/berth/lang"
)

func TestDefaultParallelismGrowsWithTheFleet(t *testing.T) {
	for hosts, want := range map[int]int{1: 10, 100: 10, 200: 20, 1000: 100, 2560: 256, 10000: 256} {
		if got := parallelism(0, &lang.Config{}, hosts); got != want {
			t.Errorf("%d hosts: %d, want %d", hosts, got, want)
		}
	}
	cfg := &lang.Config{Deploy: lang.Deploy{Parallelism: 10, ParallelismSet: true}}
	if got := parallelism(0, cfg, 10000); got != 10 {
		t.Errorf("deploy.parallelism = 10 gives %d", got)
	}
	if got := parallelism(7, cfg, 10000); got != 7 {
		t.Errorf("--parallelism 7 gives %d", got)
	}
}
