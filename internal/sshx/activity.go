package sshx

import (
	"net"
	"sync/atomic"
	"time"
)

// idleProbeEvery is how many keepalive intervals an idle connection goes
// without a probe: one with nothing outstanding is probed only this
// rarely, to keep it open through NAT and firewalls (whose idle timeouts
// are minutes); a dead one is found when it is next used.
const idleProbeEvery = 12

// activity is a connection that records when it last read and wrote, and
// how many of its exchanges await the host's answer (a command running, a
// request sent on a forwarded connection and not yet answered), so that
// keepalives go where an answer is awaited: a big fleet's idle connections
// (most of them, most of an apply) cost no probe every interval.
//
// Awaiting is counted by exchange, not read from the bytes: the last
// packet of a finished command is ours (the reply to the host's channel
// close), so "written after the last read" held on every connection that
// had run a command, and each was probed once more after every command:
// 3.2 probes per host in a 10,000-host apply, for nothing.
type activity struct {
	net.Conn
	lastRead, lastWrite atomic.Int64 // unix nanoseconds
	awaiting            atomic.Int64 // exchanges awaiting the host's answer
	written             atomic.Int64 // bytes written
}

func newActivity(c net.Conn) *activity {
	a := &activity{Conn: c}
	now := time.Now().UnixNano()
	a.lastRead.Store(now)
	a.lastWrite.Store(now)
	return a
}

func (a *activity) Read(p []byte) (int, error) {
	n, err := a.Conn.Read(p)
	if n > 0 {
		a.lastRead.Store(time.Now().UnixNano())
	}
	return n, err
}

func (a *activity) Write(p []byte) (int, error) {
	a.lastWrite.Store(time.Now().UnixNano())
	n, err := a.Conn.Write(p)
	a.written.Add(int64(n))
	return n, err
}

// begin and end count an exchange that awaits the host's answer, from its
// request to its answer (or its end). a may be nil.
func (a *activity) begin() {
	if a != nil {
		a.awaiting.Add(1)
	}
}

func (a *activity) end() {
	if a != nil {
		a.awaiting.Add(-1)
	}
}

// needsProbe reports whether a keepalive is due at now: an exchange awaits
// the host's answer, or nothing has been heard for idleProbeEvery
// intervals.
func (a *activity) needsProbe(now time.Time, interval time.Duration) bool {
	return a.awaiting.Load() > 0 || now.UnixNano()-a.lastRead.Load() >= int64(idleProbeEvery*interval)
}
