package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// Streamer is what logs needs of a host's Docker daemon.
type Streamer interface {
	LogStream(ctx context.Context, id string, o dockerapi.LogOptions, w io.Writer) error
}

// Source is one container whose logs to show.
type Source struct {
	Host      string
	Container string // name, shown in the prefix
	ID        string
	Docker    Streamer
}

func (s Source) prefix(width int) string {
	p := s.Host + " " + s.Container
	return p + strings.Repeat(" ", max(0, width-len(p))) + " | "
}

func width(sources []Source) int {
	w := 0
	for _, s := range sources {
		w = max(w, len(s.Host)+1+len(s.Container))
	}
	return w
}

// Options select the lines.
type Options struct {
	Since time.Time // zero: from the start
	Tail  int       // per container; <= 0: all
}

type line struct {
	at   time.Time
	text string
	src  int
	seq  int
}

// Collect reads the logs of every source at once and writes them to w
// merged by time, each line prefixed with "HOST CONTAINER | ". A source
// that cannot be read is an error naming it; the others are still shown.
func Collect(ctx context.Context, sources []Source, o Options, w io.Writer) error {
	bufs := make([]bytes.Buffer, len(sources))
	errs := make([]error, len(sources))
	var wg sync.WaitGroup
	for i, s := range sources {
		wg.Go(func() {
			err := s.Docker.LogStream(ctx, s.ID, dockerapi.LogOptions{Since: o.Since, Tail: o.Tail, Timestamps: true}, &bufs[i])
			if err != nil {
				errs[i] = fmt.Errorf("%s %s: %w", s.Host, s.Container, err)
			}
		})
	}
	wg.Wait()
	var lines []line
	for i := range bufs {
		for n, l := range strings.Split(strings.TrimSuffix(bufs[i].String(), "\n"), "\n") {
			if l == "" {
				continue
			}
			at, text := splitTimestamp(l)
			lines = append(lines, line{at: at, text: text, src: i, seq: n})
		}
	}
	slices.SortStableFunc(lines, func(a, b line) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.src != b.src {
			return a.src - b.src
		}
		return a.seq - b.seq
	})
	wd := width(sources)
	for _, l := range lines {
		if _, err := io.WriteString(w, sources[l.src].prefix(wd)+l.text+"\n"); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// splitTimestamp splits Docker's "2026-01-02T03:04:05.123456789Z text".
func splitTimestamp(l string) (time.Time, string) {
	ts, text, ok := strings.Cut(l, " ")
	if !ok {
		ts, text = l, ""
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, l
	}
	return t, text
}

// Follow streams the logs of every source at once to w as they are
// written, each line prefixed with "HOST CONTAINER | ", until every
// container stopped or ctx ends (then it returns ctx.Err()). Lines from
// different hosts never interleave mid-line.
func Follow(ctx context.Context, sources []Source, o Options, w io.Writer) error {
	var mu sync.Mutex
	wd := width(sources)
	errs := make([]error, len(sources))
	var wg sync.WaitGroup
	for i, s := range sources {
		wg.Go(func() {
			pw := &prefixWriter{mu: &mu, w: w, prefix: s.prefix(wd)}
			err := s.Docker.LogStream(ctx, s.ID, dockerapi.LogOptions{Since: o.Since, Tail: o.Tail, Follow: true}, pw)
			pw.flush()
			if err != nil && ctx.Err() == nil {
				errs[i] = fmt.Errorf("%s %s: %w", s.Host, s.Container, err)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// prefixWriter writes whole lines, each with a prefix, under a shared lock.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	i := bytes.LastIndexByte(p.buf, '\n')
	if i < 0 {
		return len(b), nil
	}
	var out bytes.Buffer
	for _, l := range bytes.SplitAfter(p.buf[:i+1], []byte("\n")) {
		if len(l) > 0 {
			out.WriteString(p.prefix)
			out.Write(l)
		}
	}
	p.buf = append(p.buf[:0], p.buf[i+1:]...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// flush writes a last line without a newline.
func (p *prefixWriter) flush() {
	if len(p.buf) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf)
	p.buf = nil
}
