package logs

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// fake answers LogStream with canned text, written in the given chunks.
type fake struct {
	chunks []string
	err    error
	mu     sync.Mutex
	got    []dockerapi.LogOptions
	block  bool // with Follow: wait for ctx after the chunks
}

func (f *fake) LogStream(ctx context.Context, id string, o dockerapi.LogOptions, w io.Writer) error {
	f.mu.Lock()
	f.got = append(f.got, o)
	f.mu.Unlock()
	for _, c := range f.chunks {
		if _, err := io.WriteString(w, c); err != nil {
			return err
		}
	}
	if f.block && o.Follow {
		<-ctx.Done()
		return ctx.Err()
	}
	return f.err
}

func TestCollectMergesByTime(t *testing.T) {
	h1 := &fake{chunks: []string{"2026-01-01T00:00:01Z one\n2026-01-01T00:00:03Z three\n"}}
	h2 := &fake{chunks: []string{"2026-01-01T00:00:02Z two\n2026-01-01T00:00:03Z three too\n"}}
	h3 := &fake{err: errors.New("boom")}
	var out strings.Builder
	err := Collect(context.Background(), []Source{
		{Host: "h1", Container: "shop-web-v1", Docker: h1},
		{Host: "h2", Container: "shop-web-v1", Docker: h2},
		{Host: "h3", Container: "shop-web-v10", Docker: h3},
	}, Options{Tail: 10}, &out)
	want := "h1 shop-web-v1  | one\nh2 shop-web-v1  | two\nh1 shop-web-v1  | three\nh2 shop-web-v1  | three too\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if err == nil || !strings.Contains(err.Error(), "h3 shop-web-v10: boom") {
		t.Errorf("err = %v, want one naming h3", err)
	}
	if o := h1.got[0]; !o.Timestamps || o.Tail != 10 || o.Follow {
		t.Errorf("options = %+v", o)
	}
}

func TestFollowPrefixesWholeLinesUntilCancelled(t *testing.T) {
	h1 := &fake{chunks: []string{"a", "bc\nde", "f\n", "tail"}, block: true}
	h2 := &fake{chunks: []string{"x\n", "y\n"}, block: true}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuilder
	done := make(chan error)
	go func() {
		done <- Follow(ctx, []Source{{Host: "h1", Container: "c", Docker: h1}, {Host: "h2", Container: "c", Docker: h2}}, Options{}, &out)
	}()
	// Every complete line arrives while the streams are still open.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "h1 c | def\n") || !strings.Contains(out.String(), "h2 c | y\n") {
		select {
		case err := <-done:
			t.Fatalf("Follow returned early: %v", err)
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("lines missing after 5s:\n%s", out.String())
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if !strings.HasPrefix(l, "h1 c | ") && !strings.HasPrefix(l, "h2 c | ") {
			t.Errorf("line without prefix: %q in\n%s", l, out.String())
		}
	}
	if !strings.Contains(out.String(), "h1 c | abc\n") || !strings.Contains(out.String(), "h1 c | tail\n") {
		t.Errorf("output:\n%s", out.String())
	}
	if !h1.got[0].Follow {
		t.Error("Follow did not ask to follow")
	}
}

type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
