package executor

import "github.com/berth-sh/berth/planner"

// branch is what one (host, role) or (host, accessory) has done so far: the
// state of its new container and the state of the containers that served
// until now, each moved only by the transitions below. Its steps run one
// after the other, so it needs no lock during the walk.
//
// The new container:
//
//	none ──create──▶ prepared ──start──▶ started ──health──▶ healthy ──switch──▶ routed
//	                     │                  │                   │  ◀──switch back──┘
//	                     └──────────────────┴──── discard ──────┴──▶ discarded
//
// The old ones (Running and Extra):
//
//	serving ──stop_old begins──▶ stopping ──stop_old done──▶ stopped
//	    ▲                            │                          │
//	    └──── started again ─────────┴──────── discard ─────────┴──▶ runsAgain (seen running)
//
// After the walk, the clean-up reads the two states (cleanUpAction):
//
//	new        old                         clean-up
//	discarded  (none) or runsAgain         report it discarded: the old ones serve
//	prepared,  any                         discard until the host says what runs
//	started,
//	discarded
//	healthy,   serving or stopping, and    finish the cut-over (stop_old) until the
//	routed     there are old ones          host says it is done (not with on_failure
//	                                       = "rollback": the rollback undoes it)
//	otherwise                              nothing
type branch struct {
	change *planner.Change
	newID  string    // the new container, once created
	origin newOrigin // where newID came from
	new    newState
	old    oldState
	// renamed are the old containers create renamed out of the new one's
	// way (same name: same version, another config), by ID: their own
	// names, given back when the new container is discarded.
	renamed map[string]string
	// routes are the route names (of every service) that a proxy served
	// before this replace stopped it; its new one must serve them again.
	routes []string
}

// newOrigin says whose the new container is, which decides what a discard
// does with it.
type newOrigin int

const (
	originCreated  newOrigin = iota // made by this apply: stopped and removed on discard
	originRetained                  // a retained (stopped) container started again: stopped on discard, kept
	originKept                      // the desired container already ran: never this apply's to stop
)

// newState is where the branch's new container is.
type newState int

const (
	newNone      newState = iota
	newPrepared           // created (or picked), not started
	newStarted            // started (possibly: a start whose reply was lost counts)
	newHealthy            // passed its health check
	newRouted             // healthy, and the proxy routes to it
	newDiscarded          // stopped and removed again (a retained one: stopped again)
)

// oldState is where the containers that served until now are.
type oldState int

const (
	oldServing   oldState = iota
	oldStopping           // stop_old began: possibly stopped (an error may have left one running)
	oldStopped            // stop_old completed: the cut-over is done
	oldRunsAgain          // seen running again after a discard
)

func (b *branch) addr() planner.Address { return b.change.Address }

// prepared records the new container.
func (b *branch) prepared(id string, origin newOrigin) {
	b.newID, b.origin, b.new = id, origin, newPrepared
}

// healthy reports whether the new container passed its health check.
func (b *branch) healthy() bool { return b.new == newHealthy || b.new == newRouted }

// started reports whether this apply started the new container (possibly).
func (b *branch) started() bool {
	return b.origin != originKept && (b.new == newStarted || b.healthy())
}

// pending reports whether the new container exists and has not been
// discarded.
func (b *branch) pending() bool {
	return b.newID != "" && b.new != newNone && b.new != newDiscarded
}

// oldMayBeStopped reports whether stop_old may have stopped the running
// container.
func (b *branch) oldMayBeStopped() bool { return b.old == oldStopping || b.old == oldStopped }

// cleanUpAction is what the clean-up after the walk does for the branch.
type cleanUpAction int

const (
	cleanNothing       cleanUpAction = iota
	cleanReportDiscard               // already discarded, and the old ones serve
	cleanDiscard                     // discard until the host says what runs
	cleanFinishCutover               // stop_old until the host says it is done
)

// cleanUpAction reads the table in the type's comment.
func (b *branch) cleanUpAction(rollingBack bool) cleanUpAction {
	switch {
	case b.new == newDiscarded && (b.change.Running == nil || b.old == oldRunsAgain):
		return cleanReportDiscard
	case b.newID != "" && b.new != newNone && !b.healthy():
		return cleanDiscard
	case b.healthy() && len(b.olds()) > 0 && b.old != oldStopped && !rollingBack:
		return cleanFinishCutover
	}
	return cleanNothing
}

// olds are the running containers the change stops: Running and Extra.
func (b *branch) olds() []planner.Container {
	var out []planner.Container
	if b.change.Running != nil {
		out = append(out, *b.change.Running)
	}
	return append(out, b.change.Extra...)
}
