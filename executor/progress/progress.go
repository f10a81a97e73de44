// Package progress renders an apply's progress for people: plain
// timestamped lines when the output is not a terminal (CI logs), and one
// live line per (host, role) on a terminal, redrawn as its steps advance.
// It implements executor.Reporter and does nothing else.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/internal/graph"
	"github.com/berth-sh/berth/planner"
)

// Lines writes one timestamped line per step start, end and event.
//
// A line is written at once unless another caller is writing: then it
// joins the lines that caller writes next, in order. Hundreds of steps
// end at once on a big fleet (280,000 lines in a 10,000-host apply), and
// a write per line was a system call per line, each under the lock.
type Lines struct {
	mu      sync.Mutex
	w       io.Writer
	now     func() time.Time
	pending []byte // lines for the writer, in order
	spare   []byte
	writing bool // a caller is writing; it writes pending too
}

// NewLines reports to w; now defaults to time.Now.
func NewLines(w io.Writer, now func() time.Time) *Lines {
	if now == nil {
		now = time.Now
	}
	return &Lines{w: w, now: now}
}

func (l *Lines) printf(format string, a ...any) {
	l.mu.Lock()
	l.pending = l.now().AppendFormat(l.pending, "15:04:05.000")
	l.pending = fmt.Appendf(append(l.pending, ' ', ' '), format+"\n", a...)
	if l.writing {
		l.mu.Unlock()
		return // the caller writing takes it next
	}
	l.writing = true
	for len(l.pending) > 0 {
		out := l.pending
		l.pending = l.spare[:0]
		l.mu.Unlock()
		_, _ = l.w.Write(out)
		l.mu.Lock()
		l.spare = out[:0]
	}
	l.writing = false
	l.mu.Unlock()
}

func (l *Lines) StepStarted(s planner.Step) {
	if s.Kind == planner.StepBarrier || s.Kind == planner.StepBatch {
		return
	}
	l.printf("%-28s %-9s started", label(s), s.Kind)
}

func (l *Lines) StepFinished(s planner.Step, st graph.Status, err error, d time.Duration) {
	switch {
	case s.Kind == planner.StepBatch:
		return // a join between two rolling batches: its dependents say what happens
	case s.Kind == planner.StepBarrier && st == graph.Succeeded:
		return // the Event says it better
	case s.Kind == planner.StepBarrier && st == graph.Canceled:
		l.printf("%-28s not opened: interrupted", "barrier")
	case s.Kind == planner.StepBarrier && st == graph.Failed: // its gate failed
		l.printf("%-28s closed: %s", "barrier", firstLine(err))
	case s.Kind == planner.StepBarrier:
		l.printf("%-28s closed: the primary role did not turn healthy", "barrier")
	case st == graph.Interrupted:
		l.printf("%-28s %-9s interrupted after %s: %s", label(s), s.Kind, round(d), firstLine(err))
	case st == graph.Failed:
		l.printf("%-28s %-9s failed after %s: %s", label(s), s.Kind, round(d), firstLine(err))
	case st == graph.Succeeded:
		l.printf("%-28s %-9s done in %s", label(s), s.Kind, round(d))
	default:
		l.printf("%-28s %-9s %s", label(s), s.Kind, st)
	}
}

func (l *Lines) Event(a planner.Address, msg string) {
	name := "apply"
	if a != (planner.Address{}) {
		name = a.String()
	}
	l.printf("%-28s %s", name, msg)
}

func label(s planner.Step) string {
	if s.Kind == planner.StepBarrier {
		return "barrier"
	}
	return s.Address.String()
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// eventRedrawRows is the most rows Live redraws on every step event; a
// bigger display is redrawn by Tick only. Redrawing every row on every
// event made a 1,000-host apply write gigabytes to the terminal (its cost
// grew with the square of the hosts).
const eventRedrawRows = 64

// Live keeps one line per (host, role) on a terminal and redraws them in
// place: "h2/web  health  running 1.2s". Events print above the lines.
type Live struct {
	mu     sync.Mutex
	w      io.Writer
	now    func() time.Time
	rows   map[string]*row
	order  []string
	drawn  int
	events []string
}

type row struct {
	step   string
	state  string
	since  time.Time // when the current step started
	first  time.Time // when the row's first step started
	failed bool
}

// NewLive reports to the terminal w. rows are the lines to show from the
// start, in this order ("h1/web", "barrier", "h2/web", ...), each waiting
// until its first step starts; others are added as they appear.
func NewLive(w io.Writer, now func() time.Time, rows ...string) *Live {
	if now == nil {
		now = time.Now
	}
	l := &Live{w: w, now: now, rows: map[string]*row{}}
	for _, key := range rows {
		if _, dup := l.rows[key]; !dup {
			l.rows[key] = &row{state: "waiting"}
			l.order = append(l.order, key)
		}
	}
	return l
}

func (l *Live) set(s planner.Step, state string, failed bool) {
	key := label(s)
	r, ok := l.rows[key]
	if !ok {
		r = &row{}
		l.rows[key] = r
		l.order = append(l.order, key)
	}
	if r.first.IsZero() {
		r.first = l.now()
	}
	r.step, r.state, r.failed = string(s.Kind), state, failed || r.failed
	r.since = l.now()
}

func (l *Live) StepStarted(s planner.Step) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.Kind == planner.StepBarrier || s.Kind == planner.StepBatch {
		return
	}
	l.set(s, "running", false)
	l.changed()
}

func (l *Live) StepFinished(s planner.Step, st graph.Status, err error, d time.Duration) {
	if s.Kind == planner.StepBatch {
		return // a join between two rolling batches has no line of its own
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	state := st.String() + " in " + round(d).String()
	if st == graph.Succeeded && (s.Kind == planner.StepPrune || s.Kind == planner.StepRemove) {
		if r, ok := l.rows[label(s)]; ok && !r.failed {
			state = "done in " + round(l.now().Sub(r.first)).String()
		}
	}
	if st == graph.Failed {
		state = "FAILED: " + firstLine(err)
	} else if st != graph.Succeeded {
		state = st.String()
	}
	if s.Kind == planner.StepBarrier {
		if st == graph.Succeeded {
			state = "open"
		} else {
			state = "CLOSED"
		}
	}
	l.set(s, state, st == graph.Failed)
	if strings.HasPrefix(state, "done in ") {
		l.rows[label(s)].step = ""
	}
	l.changed()
}

func (l *Live) Event(a planner.Address, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	name := "apply"
	if a != (planner.Address{}) {
		name = a.String()
	}
	l.events = append(l.events, name+": "+msg)
	l.changed()
}

// changed redraws after an event, unless the display is too big to
// redraw that often: Tick draws it then.
func (l *Live) changed() {
	if len(l.order) <= eventRedrawRows {
		l.redraw()
	}
}

// Tick redraws the elapsed times and, on a big display, what changed since
// the last tick; call it every few hundred milliseconds, and once at the end.
func (l *Live) Tick() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.redraw()
}

// redraw moves the cursor up over the lines drawn last time and rewrites
// them; new events are printed above, once.
func (l *Live) redraw() {
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn)
	}
	for _, e := range l.events {
		b.WriteString("\x1b[2K" + e + "\n")
	}
	l.events = nil
	for _, key := range l.order {
		r := l.rows[key]
		state := r.state
		if state == "running" {
			state = "running " + round(l.now().Sub(r.since)).Truncate(100*time.Millisecond).String()
		}
		fmt.Fprintf(&b, "\x1b[2K  %-28s %-9s %s\n", key, r.step, state)
	}
	l.drawn = len(l.order)
	_, _ = io.WriteString(l.w, b.String())
}
