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

// activity is a connection that records when it last read and wrote, so
// that keepalives go where an answer is awaited: a big fleet's idle
// connections (most of them, most of an apply) cost no probe every
// interval.
type activity struct {
	net.Conn
	lastRead, lastWrite atomic.Int64 // unix nanoseconds
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
	return a.Conn.Write(p)
}

// needsProbe reports whether a keepalive is due at now: something was
// sent after the last thing heard (a request awaits its answer, or the
// peer went quiet in the middle of an exchange), or nothing has been heard
// for idleProbeEvery intervals.
func (a *activity) needsProbe(now time.Time, interval time.Duration) bool {
	r, w := a.lastRead.Load(), a.lastWrite.Load()
	return w > r || now.UnixNano()-r >= int64(idleProbeEvery*interval)
}
