package chaos

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Fault is one kind of fault a round fires.
type Fault string

// The faults, in the order the report lists them.
const (
	LinkCut      Fault = "link-cut"      // ip link set v-hN down, then up
	PacketDrop   Fault = "packet-drop"   // iptables statistic DROP inside the host's network namespace
	KillDockerd  Fault = "kill-dockerd"  // kill -9 of the host's dockerd, then started again
	KillSSHD     Fault = "kill-sshd"     // kill -9 of every sshd of the host (its connections too), then started again
	KillBerth    Fault = "kill-9-berth"  // SIGKILL to the apply
	SigintBerth  Fault = "sigint-berth"  // SIGINT to the apply (Ctrl-C)
	SigtermBerth Fault = "sigterm-berth" // SIGTERM to the apply
	BrokenImage  Fault = "broken-image"  // the apply deploys a build that exits or never turns healthy
	TwoApplies   Fault = "two-applies"   // a second apply of another version starts at the moment
)

// Faults lists every fault kind.
func Faults() []Fault {
	return []Fault{LinkCut, PacketDrop, KillDockerd, KillSSHD, KillBerth, SigintBerth, SigtermBerth, BrokenImage, TwoApplies}
}

// OnHost reports whether the fault acts on one host (Round.Host).
func (f Fault) OnHost() bool {
	switch f {
	case LinkCut, PacketDrop, KillDockerd, KillSSHD:
		return true
	}
	return false
}

// Slot is one (host, role) of the chaos configuration.
type Slot struct{ Host, Role string }

func (s Slot) String() string { return s.Host + "/" + s.Role }

// Slots are the (host, role) pairs of the chaos configuration, in plan
// order: web on h1 (the primary host) and h2, publishing port 80, and a
// worker on h3.
func Slots() []Slot {
	return []Slot{{"h1", "web"}, {"h2", "web"}, {"h3", "worker"}}
}

// Hosts are the configuration's hosts, h1 the primary.
func Hosts() []string { return []string{"h1", "h2", "h3"} }

// WebHosts are the hosts whose port 80 must answer.
func WebHosts() []string { return []string{"h1", "h2"} }

// replaceSteps are the steps of a replace of role, in order: a role that
// publishes a port stops its old container before it starts the new one.
func replaceSteps(role string) []string {
	if role == "web" {
		return []string{"pull", "create", "stop_old", "start", "health", "prune"}
	}
	return []string{"pull", "create", "start", "health", "stop_old", "prune"}
}

// Moment is a step boundary of an apply, as its progress lines show it:
// "h2/web stop_old started", "h3/worker health done", "barrier open". The
// zero Moment is none (a fault that needs no moment).
type Moment struct {
	Addr string // "h1/web", or "barrier"
	Step string // "pull", ..., or "open" for the barrier
	Edge string // "started", "done"; "" for the barrier
}

func (m Moment) String() string {
	if m.Addr == "" {
		return ""
	}
	return strings.TrimSpace(m.Addr + " " + m.Step + " " + m.Edge)
}

// Host is the host of the moment's step, "" for the barrier.
func (m Moment) Host() string {
	h, _, ok := strings.Cut(m.Addr, "/")
	if !ok {
		return ""
	}
	return h
}

// Moments lists the step boundaries of an apply that replaces every slot,
// in plan order: each step's start and end, and the barrier opening after
// the primary's health check.
func Moments() []Moment {
	var out []Moment
	for i, s := range Slots() {
		for _, step := range replaceSteps(s.Role) {
			for _, edge := range []string{"started", "done"} {
				out = append(out, Moment{Addr: s.String(), Step: step, Edge: edge})
			}
		}
		if i == 0 {
			out = append(out, Moment{Addr: "barrier", Step: "open"})
		}
	}
	return out
}

// UntilExit as a Round's Hold: the fault lasts until the apply has ended.
const UntilExit time.Duration = -1

// DropRate is the probability with which a packet-drop fault drops each
// packet the host receives.
const DropRate = 0.3

// Round is what one round does: from Start running everywhere, apply
// Target with Fault fired at Moment (on Host when the fault acts on one),
// lasting Hold; then check, and converge with one apply of Final.
type Round struct {
	Index  int
	Start  string // the version every slot runs before the round
	Target string // the version the faulty apply deploys
	Final  string // the version the converging apply deploys: Target, or Start after a broken image
	Second string // two-applies: the version of the second apply
	Fault  Fault
	Host   string // h1..h3 for a fault on a host
	Moment Moment
	Hold   time.Duration // how long the fault lasts before it is restored; UntilExit; 0 at once
}

// Versions of the lab app the rounds deploy (test/lab/README.md): three
// good builds, one that turns healthy only after about five seconds, and
// the bad ones.
var (
	goodVersions = []string{"v1", "v2", "v3"}
	badVersions  = []string{"broken", "unhealthy"}
)

// Holds per fault, each drawn with the weight beside it.
var holds = map[Fault][]weighted{
	LinkCut:     {{300 * time.Millisecond, 3}, {time.Second, 3}, {3 * time.Second, 3}, {8 * time.Second, 2}, {20 * time.Second, 1}, {UntilExit, 1}},
	PacketDrop:  {{2 * time.Second, 1}, {5 * time.Second, 1}, {8 * time.Second, 1}},
	KillDockerd: {{0, 3}, {2 * time.Second, 2}, {6 * time.Second, 1}, {UntilExit, 1}},
	KillSSHD:    {{0, 3}, {2 * time.Second, 2}, {6 * time.Second, 1}, {UntilExit, 1}},
}

type weighted struct {
	d time.Duration
	w int
}

func pickHold(rng *rand.Rand, f Fault) time.Duration {
	ws := holds[f]
	total := 0
	for _, x := range ws {
		total += x.w
	}
	if total == 0 {
		return 0
	}
	n := rng.IntN(total)
	for _, x := range ws {
		if n < x.w {
			return x.d
		}
		n -= x.w
	}
	return 0
}

// Schedule returns the first n rounds of the run that seed gives. It is a
// pure function of (seed, n), and a prefix of a longer run: Schedule(s,
// 5) equals Schedule(s, 20)[:5]. Every block of len(Faults()) rounds holds
// each fault kind once, in an order drawn from the seed.
func Schedule(seed uint64, n int) []Round {
	kinds := len(Faults())
	var order []Fault
	start := goodVersions[rand.New(rand.NewPCG(seed, 0)).IntN(len(goodVersions))]
	out := make([]Round, 0, n)
	for i := 0; i < n; i++ {
		if i%kinds == 0 {
			order = Faults()
			rng := rand.New(rand.NewPCG(seed, 1<<32+uint64(i/kinds)))
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		}
		r := plan(rand.New(rand.NewPCG(seed, uint64(i)+1)), i, start, order[i%kinds])
		out = append(out, r)
		start = r.Final
	}
	return out
}

// plan draws one round's versions, host, moment and hold.
func plan(rng *rand.Rand, i int, start string, f Fault) Round {
	r := Round{Index: i, Start: start, Fault: f}
	r.Target = otherVersion(rng, start)
	// "slow" sometimes: a health wait of seconds, a wider window for faults.
	if f != BrokenImage && rng.IntN(6) == 0 && start != "slow" {
		r.Target = "slow"
	}
	r.Final = r.Target
	moments := Moments()
	r.Moment = moments[rng.IntN(len(moments))]
	switch f {
	case BrokenImage:
		r.Target = badVersions[rng.IntN(len(badVersions))]
		r.Final = start
		r.Moment = Moment{}
	case TwoApplies:
		r.Second = otherVersion(rng, r.Target)
	}
	if f.OnHost() {
		// Most often the host the moment's step runs on: faults where work happens.
		if h := r.Moment.Host(); h != "" && rng.IntN(10) < 6 {
			r.Host = h
		} else {
			r.Host = Hosts()[rng.IntN(len(Hosts()))]
		}
		r.Hold = pickHold(rng, f)
	}
	return r
}

// otherVersion is a good version other than v.
func otherVersion(rng *rand.Rand, v string) string {
	var pool []string
	for _, g := range goodVersions {
		if g != v {
			pool = append(pool, g)
		}
	}
	return pool[rng.IntN(len(pool))]
}

// String is one line that says everything about the round.
func (r Round) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "round %d: %s -> %s, %s", r.Index, r.Start, r.Target, r.Fault)
	if r.Host != "" {
		fmt.Fprintf(&b, " on %s", r.Host)
	}
	if m := r.Moment.String(); m != "" {
		fmt.Fprintf(&b, " at %q", m)
	}
	if r.Fault.OnHost() {
		fmt.Fprintf(&b, ", restored %s", HoldString(r.Hold))
	}
	if r.Second != "" {
		fmt.Fprintf(&b, ", second apply %s", r.Second)
	}
	if r.Final != r.Target {
		fmt.Fprintf(&b, ", converge to %s", r.Final)
	}
	return b.String()
}

// HoldString says when a fault is restored: "after 3s", "at once", "when the apply ends".
func HoldString(d time.Duration) string {
	switch {
	case d == UntilExit:
		return "when the apply ends"
	case d == 0:
		return "at once"
	}
	return "after " + d.String()
}

// Digest identifies a schedule: two runs with the same seed and rounds
// show the same digest in their reports.
func Digest(rounds []Round) string {
	h := sha256.New()
	for _, r := range rounds {
		fmt.Fprintln(h, r.String())
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil))[:19]
}
