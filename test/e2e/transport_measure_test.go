//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/sshx"
)

// TestMeasureDockerAccess compares the two ways of reading a host's
// containers over one SSH connection, and times a planning-style read of
// every lab host. Run with -v to see the figures:
//
//	go test -tags e2e -v -run TestMeasureDockerAccess ./test/e2e/
//
// (a) `docker ps -a --filter ... --format '{{json .}}'` then `docker inspect`
// in SSH exec sessions (what a CLI-driven tool does), versus (b) one Engine
// API list through the forwarded docker socket. Both must see the same
// containers.
func TestMeasureDockerAccess(t *testing.T) {
	l := Lab(t)
	host := l.Hosts[len(l.Hosts)-1].Name
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p := transportPool(t, l, nil)
	reader := live.NewReader(p, nil)
	c, err := reader.Client(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := p.Conn(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	run := randomSuffix()
	cleanupRun(t, reader, host, run)
	if err := c.Pull(ctx, Registry+"/app:v1", labAuth(l)); err != nil {
		t.Fatal(err)
	}
	service := "e2e-measure-" + run
	for i, role := range []string{"web", "worker", "jobs"} {
		id, err := c.Create(ctx, "berth-e2e-measure-"+role+"-"+run, dockerapi.CreateSpec{Image: Registry + "/app:v1", Cmd: []string{"/app", "work"},
			Labels: map[string]string{"berth.service": service, "berth.role": role, "berth.version": "v1", "berth-e2e.run": run}})
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if err := c.Start(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	const n = 20
	filter := "label=berth.service=" + service

	// (a) docker CLI over SSH exec sessions: ps, then inspect the IDs.
	var cliIDs []string
	cli := measure(n, func() {
		out, err := conn.Run(ctx, "docker ps -a --no-trunc --filter "+filter+" --format '{{json .}}'", nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var row struct{ ID string }
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("docker ps line %q: %v", line, err)
			}
			ids = append(ids, row.ID)
		}
		out, err = conn.Run(ctx, "docker inspect "+strings.Join(ids, " "), nil)
		if err != nil {
			t.Fatal(err)
		}
		var inspected []struct{ ID string }
		if err := json.Unmarshal(out, &inspected); err != nil {
			t.Fatal(err)
		}
		cliIDs = cliIDs[:0]
		for _, x := range inspected {
			cliIDs = append(cliIDs, x.ID)
		}
	})
	psOnly := measure(n, func() {
		if _, err := conn.Run(ctx, "docker ps -a --no-trunc --filter "+filter+" --format '{{json .}}'", nil); err != nil {
			t.Fatal(err)
		}
	})
	// (b) Engine API list through the forwarded socket.
	var apiIDs []string
	api := measure(n, func() {
		hs, err := reader.ReadState(ctx, host, service)
		if err != nil {
			t.Fatal(err)
		}
		apiIDs = apiIDs[:0]
		for _, ct := range hs.Containers {
			apiIDs = append(apiIDs, ct.ID)
		}
	})
	sort.Strings(cliIDs)
	sort.Strings(apiIDs)
	if len(apiIDs) != 3 || !slices.Equal(cliIDs, apiIDs) {
		t.Fatalf("CLI saw %v, API saw %v", cliIDs, apiIDs)
	}
	noop := measure(n, func() {
		if _, err := conn.Run(ctx, "true", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("host %s, median of %d after warm-up:", host, n)
	t.Logf("  (a) docker ps + docker inspect over SSH exec: %s  (docker ps alone %s; an empty exec session `true` %s)", cli, psOnly, noop)
	t.Logf("  (b) Engine API list over the forwarded socket: %s", api)
	if p.Dials() != 1 {
		t.Errorf("Dials() = %d, want 1", p.Dials())
	}

	// A planning-style read of every host: dial, then one list each, in parallel.
	var plans []time.Duration
	var dialOnly, firstList []time.Duration
	for range 5 {
		fresh := transportPool(t, l, nil)
		r := live.NewReader(fresh, nil)
		start := time.Now()
		var wg sync.WaitGroup
		for _, h := range l.Hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.ReadState(ctx, h.Name, service); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		plans = append(plans, time.Since(start))
		if fresh.Dials() != len(l.Hosts) {
			t.Errorf("Dials() = %d for %d hosts", fresh.Dials(), len(l.Hosts))
		}
		fresh.Close()

		fresh = transportPool(t, l, nil)
		start = time.Now()
		if _, err := fresh.Conn(ctx, host); err != nil {
			t.Fatal(err)
		}
		dialOnly = append(dialOnly, time.Since(start))
		start = time.Now()
		if _, err := live.NewReader(fresh, nil).ReadState(ctx, host, service); err != nil {
			t.Fatal(err)
		}
		firstList = append(firstList, time.Since(start))
		fresh.Close()
	}
	t.Logf("planning read of %d hosts (dial + one list each, parallel): median %s, all %v", len(l.Hosts), median(plans), plans)
	t.Logf("one SSH dial (TCP + handshake + auth): median %s; then the first list (opens the forwarded channel): median %s", median(dialOnly), median(firstList))

	// 30 hosts: the lab's hosts declared ten times each under other names,
	// so that 30 real SSH connections are dialled and read in parallel.
	wide := transportPool(t, l, func(o *sshx.Options) {
		o.Hosts = nil
		for i := range 30 {
			h := l.Hosts[i%len(l.Hosts)]
			o.Hosts = append(o.Hosts, sshx.Host{Name: fmt.Sprintf("%s-%d", h.Name, i), Address: h.Addr})
		}
	})
	wr := live.NewReader(wide, nil)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := l.Hosts[i%len(l.Hosts)]
			if _, err := wr.ReadState(ctx, fmt.Sprintf("%s-%d", h.Name, i), service); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	t.Logf("planning read of 30 hosts (30 SSH connections, one list each, parallel): %s, %d dials", time.Since(start).Round(time.Millisecond), wide.Dials())
}

func measure(n int, f func()) time.Duration {
	f() // warm-up: first channel, API version, page cache
	ds := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		f()
		ds = append(ds, time.Since(start))
	}
	return median(ds)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(10 * time.Microsecond)
}
