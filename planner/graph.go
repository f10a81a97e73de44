package planner

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/lang"
)

// BarrierID is the ID of the deployment barrier step.
const BarrierID = "barrier"

// StepBatch is the kind of the join step between two rolling batches: it
// does nothing, it only gathers the end of one batch into a single
// dependency of the next (see BuildGraph).
const StepBatch StepKind = "batch"

// BatchID is the ID of the join step that batch k (k > 0) waits for.
func BatchID(k int) string { return "batch/" + strconv.Itoa(k) }

// ErrGraph reports a graph that cannot be walked: a cycle, a dependency on
// a step that does not exist, a duplicate step.
var ErrGraph = errors.New("invalid step graph")

// BuildGraph turns the changes into the apply graph. Its semantics, which
// the executor relies on:
//
//   - A create or replace of a role on host H: H/R/pull → H/R/create, then
//     the cutover. When the role publishes host ports and an old container
//     runs, the old one must release the ports first: stop_old → start →
//     health. Otherwise start → health → stop_old (stop_old only when a
//     container runs). prune comes last.
//   - A remove is the single step H/R/remove.
//   - berth accessory stop is the single step H/accessory.A/stop_old;
//     restart is stop_old → start → health, of the same container.
//   - "barrier" depends on the primary change's health step (the primary
//     role on its primary host) when that change is a create or replace;
//     otherwise it has no dependency and opens at once.
//   - The first cutover step (start or stop_old) of every other role change,
//     and every role remove, depends on the barrier. pull and create never
//     do: preparing ahead of the barrier is harmless.
//   - Accessories (pull → create → stop_old → start → health → prune, or
//     remove) never wait for the barrier nor for a batch: their image is
//     pinned on its own and is not the build under review, and a new app
//     version may need the new accessory to become healthy at all.
//   - A proxied role (Desired.Proxy set) checks its new container with a
//     switch step instead of health: the host's kamal-proxy health-checks
//     it and moves the role's route to it. Its cutover is start → switch →
//     stop_old; coming from a container that published host ports, stop_old
//     → start → switch. For the barrier and for batches, switch is the
//     primary's (and any change's) health step.
//   - The proxy of a host (Address.Proxy) is a change like an accessory
//     (pull → create → [stop_old →] start → health → prune, or remove),
//     never gated by the barrier or a batch, except: a proxied role's
//     switch depends on its host's proxy health step; a proxy whose host
//     port is still held by a role's old container starts (or stops its
//     old proxy) only after that role's stop_old; a proxy remove waits for
//     the stop_old of every role change on its host that publishes ports
//     (which start only after it), and, off the primary host, for the same
//     gate as the host's role changes. Replaces of the proxy go host by
//     host (see chainProxyReplaces): each one's first cutover step depends
//     on the previous host's proxy health step.
//   - A role waits for the accessories it depends on (depends_on, default
//     every accessory): the first cutover step of its create or replace
//     depends on the health step of each such accessory that gets a new
//     container in the same plan (see wireAccessories).
//   - Rolling: hosts are ordered primary host first, then configuration
//     order; only hosts with role steps count; cfg.Deploy.Batch hosts per
//     batch (0: one batch). Between two batches stands a join step, kind
//     "batch", ID "batch/K" (BatchID), which does nothing: it depends on the
//     final step of every role change in batch K-1, and the first cutover
//     step of every role change in batch K depends on it (and on the
//     barrier). The final step of a change is its last but the prune (see
//     finalStep). A boundary costs about 2 × hosts × roles of a batch edges,
//     not their square. The primary host is always in batch 0, so no batch
//     ever waits on a barrier that nothing can open.
//
// Steps are listed in a topological order, primary first. BuildGraph checks
// that every dependency exists and that there is no cycle.
func BuildGraph(changes []Change, cfg *lang.Config) (Graph, error) {
	changes = orderChanges(changes, cfg)
	batchOf := assignBatches(changes, cfg.Deploy.Batch)

	var primary *Change
	for i := range changes {
		c := &changes[i]
		if c.Primary && (c.Action == ActionCreate || c.Action == ActionReplace) {
			primary = c
		}
	}
	steps := make([]Step, 0, 6*len(changes)+2)
	if primary != nil {
		steps = append(steps, changeSteps(*primary, 0, nil)...)
		steps = append(steps, Step{ID: BarrierID, Kind: StepBarrier, DependsOn: []string{stepID(primary.Address, checkKind(*primary))}})
	} else {
		steps = append(steps, Step{ID: BarrierID, Kind: StepBarrier})
	}
	var finals []string // of the current batch's role changes
	cur := 0
	gate := []string{BarrierID}
	gateOf := map[string][]string{}
	for _, c := range changes {
		if c.Action == ActionUnchanged || (primary != nil && c.Address == primary.Address) {
			if primary != nil && c.Address == primary.Address {
				finals = append(finals, finalStep(c))
			}
			continue
		}
		if c.Address.Accessory != "" || c.Address.Proxy {
			steps = append(steps, changeSteps(c, batchOf[c.Address.Host], nil)...)
			continue
		}
		b := batchOf[c.Address.Host]
		if b != cur {
			join := Step{ID: BatchID(b), Kind: StepBatch, Batch: b, DependsOn: finals}
			steps = append(steps, join)
			finals, cur, gate = nil, b, []string{BarrierID, join.ID}
		}
		gateOf[c.Address.Host] = gate
		steps = append(steps, changeSteps(c, b, gate)...)
		finals = append(finals, finalStep(c))
	}
	primaryHost := ""
	if primary != nil {
		primaryHost = primary.Address.Host
	}
	steps = wireProxy(steps, changes, gateOf, primaryHost)
	steps = chainProxyReplaces(steps, changes)
	steps = wireAccessories(steps, changes, cfg)
	g := Graph{Steps: steps}
	sorted, err := g.sorted()
	if err != nil {
		return Graph{}, err
	}
	return Graph{Steps: sorted}, nil
}

// orderChanges sorts the changes the way a plan lists them: primary host
// first, then configuration host order; within a host the primary role,
// then role order, then accessories, then removes. The sort is stable.
func orderChanges(changes []Change, cfg *lang.Config) []Change {
	hostRank := map[string]int{}
	for i, h := range hostOrder(cfg) {
		hostRank[h] = i
	}
	roleRank := map[string]int{}
	for i, r := range rolesPrimaryFirst(cfg) {
		roleRank[r.Name] = i
	}
	accRank := map[string]int{}
	for i, a := range cfg.Accessories {
		accRank[a.Name] = i
	}
	rank := func(c Change) (int, int) {
		h, ok := hostRank[c.Address.Host]
		if !ok {
			h = len(hostRank)
		}
		switch {
		case c.Action == ActionRemove:
			return h, 2 << 20
		case c.Address.Accessory != "":
			return h, 1<<20 + accRank[c.Address.Accessory]
		case c.Address.Proxy:
			return h, 1 << 19
		default:
			return h, roleRank[c.Address.Role]
		}
	}
	out := slices.Clone(changes)
	slices.SortStableFunc(out, func(a, b Change) int {
		ah, ak := rank(a)
		bh, bk := rank(b)
		if ah != bh {
			return ah - bh
		}
		return ak - bk
	})
	return out
}

// assignBatches gives every host with role steps its rolling batch, in the
// order of the (ordered) changes; batch <= 0 means a single batch.
func assignBatches(changes []Change, batch int) map[string]int {
	out := map[string]int{}
	n := 0
	for _, c := range changes {
		if c.Address.Accessory != "" || c.Address.Proxy || c.Action == ActionUnchanged {
			continue
		}
		if _, ok := out[c.Address.Host]; ok {
			continue
		}
		if batch > 0 {
			out[c.Address.Host] = n / batch
		} else {
			out[c.Address.Host] = 0
		}
		n++
	}
	return out
}

func stepID(a Address, k StepKind) string { return a.String() + "/" + string(k) }

// finalStep is the ID of the step that ends a change's cutover, which the
// next rolling batch waits for: its last step, but the prune. A batch is
// through once its new containers serve and its old ones are stopped;
// removing the old containers beyond retain changes nothing the next batch
// depends on, so it runs beside that batch instead of before it (a round
// trip less per batch: 100 batches of a 10,000-host fleet in batches of
// 100 are 100 round trips one after the other).
func finalStep(c Change) string {
	switch c.Action {
	case ActionRemove:
		return stepID(c.Address, StepRemove)
	case ActionStop:
		return stepID(c.Address, StepStopOld)
	case ActionRestart:
		return stepID(c.Address, StepHealth)
	}
	kinds := cutoverKinds(c)
	return stepID(c.Address, kinds[len(kinds)-1])
}

// cutoverKinds are the steps of a create or replace between its create and
// its prune, in order: the first waits for the gate (the barrier, the
// batch before). A container that holds what the new one needs (an
// accessory's or the proxy's data and ports, a role's published ports) is
// stopped first; otherwise the new one starts and passes its check before
// the old one stops.
func cutoverKinds(c Change) []StepKind {
	hasOld := c.Running != nil
	check := checkKind(c)
	switch {
	case c.Address.Accessory != "" && hasOld, c.Address.Proxy && hasOld,
		c.Desired != nil && len(c.Desired.Ports) > 0 && hasOld,
		check == StepSwitch && publishesPorts(c.Running):
		return []StepKind{StepStopOld, StepStart, check}
	case hasOld:
		return []StepKind{StepStart, check, StepStopOld}
	}
	return []StepKind{StepStart, check}
}

// changeSteps lists the steps of one change; gate are the dependencies of
// its first cutover step (the barrier and the previous batch).
func changeSteps(c Change, batch int, gate []string) []Step {
	mk := func(k StepKind, deps ...string) Step {
		return Step{ID: stepID(c.Address, k), Kind: k, Address: c.Address, Batch: batch, DependsOn: deps}
	}
	switch c.Action {
	case ActionRemove:
		return []Step{mk(StepRemove, gate...)}
	case ActionStop: // berth accessory stop
		return []Step{mk(StepStopOld, gate...)}
	case ActionRestart: // berth accessory restart: the same container again
		stop := mk(StepStopOld, gate...)
		start := mk(StepStart, stop.ID)
		return []Step{stop, start, mk(StepHealth, start.ID)}
	}
	steps := []Step{mk(StepPull), mk(StepCreate, stepID(c.Address, StepPull))}
	prev := stepID(c.Address, StepCreate)
	for i, k := range append(cutoverKinds(c), StepPrune) {
		deps := []string{prev}
		if i == 0 {
			deps = append(deps, gate...)
		}
		steps = append(steps, mk(k, deps...))
		prev = stepID(c.Address, k)
	}
	return steps
}

// Step returns the step with the given ID.
func (g Graph) Step(id string) (Step, bool) {
	for _, s := range g.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// Validate checks that step IDs are unique, every dependency exists and
// there is no cycle. A graph read from a plan file should pass it before
// it is walked.
func (g Graph) Validate() error {
	_, err := g.sorted()
	return err
}

// Vertices are the steps as vertices of a graph.Graph, in order.
func (g Graph) Vertices() []graph.Vertex {
	vs := make([]graph.Vertex, len(g.Steps))
	for i, s := range g.Steps {
		vs[i] = graph.Vertex{ID: s.ID, DependsOn: s.DependsOn}
	}
	return vs
}

// sorted returns the steps in a topological order that keeps the listed
// order wherever the dependencies allow.
func (g Graph) sorted() ([]Step, error) {
	order, err := graph.Sort(g.Vertices())
	var ie *graph.InvalidError
	if errors.As(err, &ie) {
		return nil, fmt.Errorf("%w: %s", ErrGraph, ie.Problem)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Step, len(order))
	for k, i := range order {
		out[k] = g.Steps[i]
	}
	return out, nil
}

// String renders the graph one step per line, in order:
// "h2/web/start [batch 1] <- h2/web/create, barrier, h1/web/prune".
// It is the golden text of graph tests.
func (g Graph) String() string {
	var b strings.Builder
	for _, s := range g.Steps {
		b.WriteString(s.ID)
		if s.Batch > 0 {
			b.WriteString(" [batch " + strconv.Itoa(s.Batch) + "]")
		}
		if len(s.DependsOn) > 0 {
			b.WriteString(" <- " + strings.Join(s.DependsOn, ", "))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
