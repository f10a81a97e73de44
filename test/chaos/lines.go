package chaos

import (
	"regexp"
	"strings"
)

// progressRE is one line of an apply's progress when its output is not a
// terminal (executor/progress.Lines): a timestamp, two spaces, the step's
// address (or "apply", "barrier") padded to 28, then what happened.
var progressRE = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}  (\S+)\s+(.*)$`)

// ParseLine reads one progress line as a Moment: "h1/web  health  started"
// is {h1/web health started}, "... done in 66ms" has the edge "done",
// "... failed after 2s: ..." the edge "failed", and "apply  barrier open:
// ..." is the barrier opening. Other lines (the plan, the summary, events)
// are not moments.
func ParseLine(line string) (Moment, bool) {
	m := progressRE.FindStringSubmatch(strings.TrimRight(line, "\r\n"))
	if m == nil {
		return Moment{}, false
	}
	addr, rest := m[1], m[2]
	if addr == "apply" {
		if strings.HasPrefix(rest, "barrier open") {
			return Moment{Addr: "barrier", Step: "open"}, true
		}
		return Moment{}, false
	}
	if !strings.Contains(addr, "/") {
		return Moment{}, false
	}
	step, what, ok := strings.Cut(rest, " ")
	if !ok {
		return Moment{}, false
	}
	what = strings.TrimSpace(what)
	switch {
	case what == "started":
		return Moment{Addr: addr, Step: step, Edge: "started"}, true
	case strings.HasPrefix(what, "done in "):
		return Moment{Addr: addr, Step: step, Edge: "done"}, true
	case strings.HasPrefix(what, "failed after "):
		return Moment{Addr: addr, Step: step, Edge: "failed"}, true
	}
	return Moment{}, false
}
