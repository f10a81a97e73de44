package imagebuild

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/berth-sh/berth/internal/buildkit"
	"github.com/berth-sh/berth/internal/dockerapi"
)

// tailLines is how many lines of a step's output a failure shows.
const tailLines = 20

// progress turns the build's and the push's events into plain lines:
// one when a step starts, one when it ends (CACHED or done), and one per
// layer pushed with its size. It keeps each step's last lines of output
// for the error of a failed one. Secret values are masked in every line.
type progress struct {
	w      io.Writer
	mask   []string
	mu     sync.Mutex
	order  []string
	steps  map[string]*step
	pushed map[string]bool
	sizes  map[string]int64
	// Cached and Ran count the steps that ended from the cache and the
	// ones that ran.
	Cached, Ran int
	Bytes       int64 // bytes of the layers pushed
}

type step struct {
	name              string
	started, finished bool
	cached            bool
	err               string
	lines             []string
	partial           string
}

func newProgress(w io.Writer, secrets []string) *progress {
	var mask []string
	for _, s := range secrets {
		if s != "" {
			mask = append(mask, s)
		}
	}
	return &progress{w: w, mask: mask, steps: map[string]*step{}, pushed: map[string]bool{}, sizes: map[string]int64{}}
}

// masked replaces secret values with "(sensitive)".
func (p *progress) masked(s string) string {
	for _, m := range p.mask {
		s = strings.ReplaceAll(s, m, "(sensitive)")
	}
	return s
}

func (p *progress) step(digest string) *step {
	st := p.steps[digest]
	if st == nil {
		st = &step{}
		p.steps[digest] = st
		p.order = append(p.order, digest)
	}
	return st
}

// trace handles one build event.
func (p *progress) trace(ev dockerapi.BuildEvent) {
	if ev.Trace == "" {
		return
	}
	s, err := buildkit.DecodeTrace(ev.Trace)
	if err != nil {
		return // progress only: a message berth cannot read is not the build's failure
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range s.Vertexes {
		p.vertex(v)
	}
	for _, l := range s.Logs {
		p.log(l)
	}
}

func (p *progress) vertex(v buildkit.Vertex) {
	st := p.step(v.Digest)
	if v.Name != "" {
		st.name = p.masked(v.Name)
	}
	internal := strings.HasPrefix(st.name, "[internal]") || strings.HasPrefix(st.name, "copy /context")
	if v.Started && !st.started && !v.Completed && !internal {
		st.started = true
		fmt.Fprintf(p.w, "build: %s\n", st.name)
	}
	if v.Error != "" {
		st.err = p.masked(v.Error)
	}
	if !v.Completed || st.finished {
		return
	}
	st.finished, st.cached = true, v.Cached
	if internal || v.Error != "" {
		return
	}
	// Only the Dockerfile's own steps ("[2/3] RUN make", "[builder 1/2]
	// FROM ...") count; BuildKit's own work, such as "exporting to
	// image", is shown but is no step of the build.
	step := strings.HasPrefix(st.name, "[")
	switch {
	case v.Cached:
		if step {
			p.Cached++
		}
		fmt.Fprintf(p.w, "build: %s  CACHED\n", st.name)
	default:
		if step {
			p.Ran++
		}
		fmt.Fprintf(p.w, "build: %s  done\n", st.name)
	}
}

func (p *progress) log(l buildkit.VertexLog) {
	st := p.step(l.Vertex)
	data := st.partial + string(l.Data)
	parts := strings.Split(data, "\n")
	st.partial = parts[len(parts)-1]
	for _, line := range parts[:len(parts)-1] {
		st.lines = append(st.lines, p.masked(strings.TrimRight(line, "\r")))
		if len(st.lines) > tailLines {
			st.lines = st.lines[len(st.lines)-tailLines:]
		}
	}
}

// failure describes the failed step: its name, error and last lines.
func (p *progress) failure() (name, errText string, lines []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.order) - 1; i >= 0; i-- {
		st := p.steps[p.order[i]]
		if st.err == "" {
			continue
		}
		lines = append([]string(nil), st.lines...)
		if st.partial != "" {
			lines = append(lines, p.masked(st.partial))
		}
		return st.name, st.err, lines
	}
	return "", "", nil
}

// push handles one push event: a line per layer once it is in the
// registry, with its size when it was sent.
func (p *progress) push(ev dockerapi.PushEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Status == "Pushing" && ev.Total > 0 {
		p.sizes[ev.Layer] = ev.Total
		return
	}
	if ev.Status != "Pushed" && ev.Status != "Layer already exists" && !strings.HasPrefix(ev.Status, "Mounted from") {
		return
	}
	if p.pushed[ev.Layer] {
		return
	}
	p.pushed[ev.Layer] = true
	if ev.Status == "Pushed" {
		p.Bytes += p.sizes[ev.Layer]
		fmt.Fprintf(p.w, "push:  layer %s pushed (%s)\n", ev.Layer, humanBytes(p.sizes[ev.Layer]))
		return
	}
	fmt.Fprintf(p.w, "push:  layer %s %s\n", ev.Layer, strings.ToLower(ev.Status))
}

// humanBytes renders n as "12.3 MB".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
