package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/berth-sh/berth/planner"
	"github.com/berth-sh/berth/test/sim"
)

// Targets for the simulated 1,000-host fleet.
const (
	simPlanTarget  = 3 * time.Second
	simApplyTarget = 30 * time.Second
	simRSSTarget   = 300.0 // MB
)

// runSim measures berth plan and apply on simulated fleets of each size.
func runSim(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	out := fs.String("out", "sim.json", "write the results to `FILE`")
	bin := fs.String("berth", "bin/berth", "the berth binary")
	sizes := fs.String("sizes", "10,100,500,1000", "fleet sizes")
	latency := fs.Duration("latency", 50*time.Millisecond, "latency of every Docker API request and exec command")
	runs := fs.Int("runs", 3, "measured runs per fleet size (the median is reported)")
	par := fs.Int("parallelism", 100, "deploy.parallelism (0: berth's default for the fleet size)")
	roles := fs.Int("roles", 2, "roles on every host: web and roles-1 workers")
	batch := fs.Int("batch", 0, "deploy.rolling.batch (0: no rolling batches)")
	tty := fs.Bool("tty", true, "apply once more on a terminal on the largest fleet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := raiseNoFile(); err != nil {
		return err
	}
	shape := fleetShape{roles: max(*roles, 2), batch: *batch}
	res := &Results{Command: "go run ./test/bench sim " + shownArgs(args), When: time.Now()}
	var ns, plans, applies, rss []float64
	for i, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad fleet size %q", s)
		}
		_, errScript := exec.LookPath("script")
		m, err := simFleet(ctx, *bin, n, *latency, *runs, *par, shape, *tty && i == len(strings.Split(*sizes, ","))-1 && errScript == nil)
		if err != nil {
			return fmt.Errorf("%d hosts: %w", n, err)
		}
		scen := fmt.Sprintf("sim, %d hosts × %d roles, %s/request", n, shape.roles, *latency)
		if shape.batch > 0 {
			scen = fmt.Sprintf("sim, %d hosts × %d roles in batches of %d, %s/request", n, shape.roles, shape.batch, *latency)
		}
		plan := Row{Order: 200 + 2*i, Scenario: scen, What: "berth plan", Berth: m.plan, ConnsPerHost: median(m.planConns), RSSMB: median(m.planRSS),
			Note: fmt.Sprintf("plan file %.1f kB per host; %.1f graph edges per host; berth's own CPU %.2f s", m.fileBytes/1000/float64(n), m.edges/float64(n), median(m.planCPU))}
		// The latency bound: every request waits the latency, and at most
		// par steps (each a sequence of requests) run at once.
		p, how := *par, fmt.Sprintf("parallelism %d", *par)
		if p == 0 {
			p, how = defaultParallelism(n), fmt.Sprintf("default parallelism (%d)", defaultParallelism(n))
		}
		// Each run's bound from its own requests: a run that starts
		// retained containers makes fewer than one that creates them, and
		// the runs alternate between the two.
		var bounds []float64
		for _, r := range m.requests {
			bounds = append(bounds, r*latency.Seconds()/float64(p))
		}
		apply := Row{Order: 201 + 2*i, Scenario: scen, What: "berth apply v→v', " + how, Berth: m.apply, ConnsPerHost: median(m.applyConns), RSSMB: median(m.applyRSS),
			RefName: "throughput bound (requests × latency ÷ parallelism)", Ref: bounds,
			Note: fmt.Sprintf("%.0f Docker requests and exec commands (median), %.1f Docker socket connections and %.1f keepalive probes per host; the barrier opened %.2f s after the first step; berth's own CPU %.2f s", median(m.requests), m.sockets, m.keepalives, median(m.barrier), median(m.applyCPU))}
		if n == 1000 && shape.roles == 2 && shape.batch == 0 {
			plan.Target = "< 3 s, 1 conn/host"
			plan.Met = boolp(median(m.plan) < simPlanTarget.Seconds() && median(m.planConns) == 1)
			apply.Target = "< 30 s, < 300 MB, 1 conn/host"
			apply.Met = boolp(median(m.apply) < simApplyTarget.Seconds() && median(m.applyRSS) < simRSSTarget && median(m.applyConns) == 1)
		}
		res.Rows = append(res.Rows, plan, apply)
		if m.ttyRan {
			res.Rows = append(res.Rows, Row{Order: 201 + 2*i, Scenario: scen, What: fmt.Sprintf("berth apply on a terminal (live progress), parallelism %d", *par),
				Berth: []float64{m.tty}, RefName: "the same apply, output not a terminal", Ref: m.apply})
		}
		ns = append(ns, float64(n))
		plans = append(plans, median(m.plan))
		applies = append(applies, median(m.apply))
		rss = append(rss, median(m.applyRSS))
		fmt.Fprintf(os.Stderr, "sim %d hosts: plan %.2fs (cpu %.2fs, rss %.0fMB) apply %.2fs (cpu %.2fs) rss %.0fMB conns/host %.2f/%.2f\n", n, median(m.plan), median(m.planCPU), median(m.planRSS), median(m.apply), median(m.applyCPU), median(m.applyRSS), median(m.planConns), median(m.applyConns))
	}
	inFlight := fmt.Sprint(*par)
	if *par == 0 {
		inFlight = "parallelism (berth's default: a tenth of the hosts, 10 to 256)"
	}
	res.Notes = append(res.Notes, fmt.Sprintf("Simulated fleets: every host is an in-process SSH server on its own 127.0.0.1 port (from %d hosts on, its own loopback address on one shared port) (test/sim) serving an in-memory Docker Engine API; "+
		"every Docker request and exec command waits %s; the images are on the hosts before every run, as on the lab. The hosts' side of every SSH handshake runs on the same CPUs as berth. "+
		"The throughput bound is the time the requests would take if %s of them were always in flight; on a small fleet the critical path dominates instead: "+
		"about 20 requests one after the other (lock, read, primary pull, create, stop, start, health check, then the other hosts' cut-over, audit, unlock), about 1 s at %s.",
		sharedPortFrom, *latency, inFlight, *latency))
	if len(ns) >= 2 {
		res.Notes = append(res.Notes, growthNote(ns, plans, applies, rss))
	}
	return res.write(*out)
}

// growthNote fits how plan time, apply time and memory grow with hosts.
func growthNote(ns, plans, applies, rss []float64) string {
	var b strings.Builder
	b.WriteString("Growth on the simulated fleets: a least-squares line over the medians (fixed cost + per host × hosts, R² 1 = a straight line); " +
		"the cost per host between the two biggest fleets, which grows with the fleet when the work is quadratic; and the exponent k of a fit of hosts^k " +
		"(below 1 while the fixed cost still weighs in, 2 for quadratic work):\n\n")
	b.WriteString("| figure | fixed cost | per host | R² | per host, last step | exponent k |\n|---|---|---|---|---|---|\n")
	for _, f := range []struct {
		name string
		ys   []float64
		unit string
	}{{"plan time", plans, "s"}, {"apply time", applies, "s"}, {"apply peak RSS", rss, "MB"}} {
		l := linearFit(ns, f.ys)
		k := len(ns) - 1
		last := (f.ys[k] - f.ys[k-1]) / (ns[k] - ns[k-1])
		per, fixed, lastPer := fmt.Sprintf("%.2f ms", l.B*1000), fmt.Sprintf("%.2f s", l.A), fmt.Sprintf("%.2f ms (%.0f → %.0f hosts)", last*1000, ns[k-1], ns[k])
		if f.unit == "MB" {
			per, fixed, lastPer = fmt.Sprintf("%.3f MB", l.B), fmt.Sprintf("%.0f MB", l.A), fmt.Sprintf("%.3f MB (%.0f → %.0f hosts)", last, ns[k-1], ns[k])
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.3f | %s | %.2f |\n", f.name, fixed, per, l.R2, lastPer, exponent(ns, f.ys))
	}
	return b.String()
}

// fleetShape is the configuration of a simulated fleet: roles per host
// (web and workers) and hosts per rolling batch.
type fleetShape struct {
	roles, batch int
}

// defaultParallelism is berth's default parallelism for a fleet of n hosts
// (cmd/berth/limits.go).
func defaultParallelism(n int) int { return min(max(10, n/10), 256) }

// sharedPortFrom is the fleet size from which the simulated hosts share
// one port (sim.Options.SharedPort): below it each has its own, as before.
const sharedPortFrom = 4000

type simMeasure struct {
	fileBytes, edges float64 // of the last plan file

	plan, apply           []float64
	planConns, applyConns []float64
	planRSS, applyRSS     []float64
	planCPU, applyCPU     []float64 // berth's own CPU seconds
	barrier               []float64 // from the first step to the barrier opening
	requests              []float64 // per run
	sockets               float64   // Docker socket connections forwarded per host in the last apply
	keepalives            float64   // keepalive probes per host in the last apply
	tty                   float64   // one apply on a terminal
	ttyRan                bool
}

// simFleet starts n simulated hosts, deploys v1 to them (not measured),
// then alternates plan and apply of v2, v3, v2, ...
func simFleet(ctx context.Context, bin string, n int, latency time.Duration, runs, par int, shape fleetShape, tty bool) (*simMeasure, error) {
	fleet, err := sim.Start(sim.Options{Hosts: n, Latency: latency, SharedPort: n >= sharedPortFrom})
	if err != nil {
		return nil, err
	}
	defer fleet.Close()
	reg := sim.StartRegistry()
	defer reg.Close()
	images := map[string]string{}
	for _, v := range []string{"v1", "v2", "v3"} {
		images[v] = reg.Host() + "/app@" + reg.Push("app", v)
	}
	// As on the lab, the images are on the hosts already: every run does
	// the same work, none pulls.
	onHosts := func(v string) {
		for _, h := range fleet.Hosts {
			h.Docker.AddImage(images[v])
		}
	}
	dir, err := os.MkdirTemp("", "berth-bench-sim-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	id, kh, err := fleet.WriteClientFiles(dir)
	if err != nil {
		return nil, err
	}
	if err := fleet.WriteConfig(dir, sim.ConfigOptions{Registry: reg.Host(), Identity: id, KnownHosts: kh, Parallelism: par, Workers: shape.roles - 1, Batch: shape.batch}); err != nil {
		return nil, err
	}
	env := berthEnv()
	planFile := filepath.Join(dir, "plan.json")
	base := []string{"--chdir", dir}
	if _, err := runBerth(ctx, bin, env, false, append(base, "apply", "--auto-approve", "--var", "version=v1")...); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	m := &simMeasure{}
	versions := []string{"v2", "v3"}
	for i := 0; i < runs; i++ {
		v := versions[i%2]
		onHosts(v)
		h0 := fleet.Handshakes()
		p, err := runBerth(ctx, bin, env, false, append(base, "plan", "--out", planFile, "--var", "version="+v)...)
		if err != nil {
			return nil, err
		}
		if m.fileBytes, m.edges, err = planFileFigures(planFile); err != nil {
			return nil, err
		}
		h1 := fleet.Handshakes()
		r0 := fleet.Requests() + fleet.Execs()
		s0 := fleet.Sockets()
		k0 := fleet.Keepalives()
		a, err := runBerth(ctx, bin, env, true, append(base, "apply", "--auto-approve", "--var", "version="+v)...)
		if err != nil {
			return nil, err
		}
		if d, ok := barrierAfter(a.Out); ok {
			m.barrier = append(m.barrier, d.Seconds())
		}
		h2 := fleet.Handshakes()
		m.requests = append(m.requests, float64(fleet.Requests()+fleet.Execs()-r0))
		m.sockets = float64(fleet.Sockets()-s0) / float64(n)
		m.keepalives = float64(fleet.Keepalives()-k0) / float64(n)
		m.plan = append(m.plan, p.Wall.Seconds())
		m.apply = append(m.apply, a.Wall.Seconds())
		m.planRSS = append(m.planRSS, p.RSSMB)
		m.applyRSS = append(m.applyRSS, a.RSSMB)
		m.planCPU = append(m.planCPU, p.CPU)
		m.applyCPU = append(m.applyCPU, a.CPU)
		m.planConns = append(m.planConns, float64(h1-h0)/float64(n))
		m.applyConns = append(m.applyConns, float64(h2-h1)/float64(n))
	}
	if ns := fleet.NotSimulated(); len(ns) > 0 {
		return nil, fmt.Errorf("berth sent what the simulator does not answer (extend test/sim): %v", ns)
	}
	// Once more on a terminal (a pseudo-terminal from script(1)), where
	// apply draws its live progress.
	last := versions[(runs-1)%2]
	if tty && runs > 0 {
		v := versions[runs%2]
		onHosts(v)
		start := time.Now()
		cmd := exec.CommandContext(ctx, "script", "-qec", shellQuote(append([]string{bin}, append(base, "apply", "--auto-approve", "--var", "version="+v)...)), "/dev/null")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("apply on a terminal: %w\n%s", err, tail(string(out), 20))
		}
		m.tty = time.Since(start).Seconds()
		m.ttyRan = true
		last = v
	}
	// Every host must be on the last version: a bench of a broken deploy
	// measures nothing.
	for _, h := range fleet.Hosts {
		on := 0
		for _, c := range h.Docker.Containers() {
			if c.Running && c.Labels["berth.version"] == last {
				on++
			}
		}
		if on != shape.roles {
			return nil, fmt.Errorf("after the runs %s runs %d containers of %s, want %d", h.Name, on, last, shape.roles)
		}
	}
	return m, nil
}

// planFileFigures are the size of a plan file and the edges of its graph.
func planFileFigures(path string) (bytes, edges float64, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	p, err := planner.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range p.Graph.Steps {
		edges += float64(len(s.DependsOn))
	}
	return float64(st.Size()), edges, nil
}

// raiseNoFile lifts the open files limit to its hard maximum: a 1,000-host
// fleet holds thousands of sockets, and the berth child inherits the limit.
func raiseNoFile() error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	l.Cur = l.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
}

// runServe starts a simulated fleet with a configuration for it and keeps
// it up until interrupted, for profiling berth against it by hand.
func runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	hosts := fs.Int("hosts", 100, "fleet size")
	latency := fs.Duration("latency", 50*time.Millisecond, "latency of every Docker API request and exec command")
	dir := fs.String("dir", "", "write the configuration here (default: a new temporary directory)")
	par := fs.Int("parallelism", 100, "deploy.parallelism (0: berth's default for the fleet size)")
	roles := fs.Int("roles", 2, "roles on every host: web and roles-1 workers")
	batch := fs.Int("batch", 0, "deploy.rolling.batch (0: no rolling batches)")
	cpuprofile := fs.String("cpuprofile", "", "write the simulated fleet's CPU profile to `FILE` (from start to interrupt)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := raiseNoFile(); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fleet, err := sim.Start(sim.Options{Hosts: *hosts, Latency: *latency, SharedPort: *hosts >= sharedPortFrom})
	if err != nil {
		return err
	}
	defer fleet.Close()
	reg := sim.StartRegistry()
	defer reg.Close()
	for _, v := range []string{"v1", "v2", "v3"} {
		reg.Push("app", v)
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "berth-sim-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	id, kh, err := fleet.WriteClientFiles(*dir)
	if err != nil {
		return err
	}
	if err := fleet.WriteConfig(*dir, sim.ConfigOptions{Registry: reg.Host(), Identity: id, KnownHosts: kh, Parallelism: *par, Workers: max(*roles, 2) - 1, Batch: *batch}); err != nil {
		return err
	}
	fmt.Printf("%d simulated hosts; try: bin/berth --chdir %s plan --var version=v2\n", *hosts, *dir)
	// SIGUSR1 prints the counters so far (kill -USR1 PID), an interrupt
	// prints them and stops.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	counters := func() {
		fmt.Printf("SSH connections accepted: %d, Docker requests: %d, exec commands: %d, keepalives: %d\n", fleet.Handshakes(), fleet.Requests(), fleet.Execs(), fleet.Keepalives())
	}
	for done := false; !done; {
		select {
		case <-usr1:
			counters()
		case <-ctx.Done():
			done = true
		}
	}
	counters()
	return nil
}

// barrierAfter reads apply's timestamped progress lines ("15:04:05.000
// ADDRESS STEP ...", written when stdout is not a terminal) and returns
// the time from the first step to the barrier opening.
func barrierAfter(out string) (time.Duration, bool) {
	var first time.Time
	for _, line := range strings.Split(out, "\n") {
		if len(line) < 12 || line[2] != ':' || line[8] != '.' {
			continue
		}
		t, err := time.Parse("15:04:05.000", line[:12])
		if err != nil {
			continue
		}
		if first.IsZero() {
			first = t
		}
		if strings.Contains(line, "barrier open") {
			return t.Sub(first), true
		}
	}
	return 0, false
}

// shellQuote joins args into one /bin/sh command line.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
