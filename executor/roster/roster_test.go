package roster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/shelltest"
	"github.com/berth-sh/berth/planner"
)

func TestWriteThenRead(t *testing.T) {
	sh := shelltest.New(t)
	ctx := context.Background()
	if got, err := Read(ctx, sh, "shop"); err != nil || got != nil {
		t.Fatalf("no roster yet: %v %v", got, err)
	}
	hosts := []planner.RosterHost{{Name: "h1", Address: "10.77.0.11", User: "root", Port: 22}, {Name: "h4", Address: "10.77.0.14", User: "deploy", Port: 2222}}
	if err := Write(ctx, sh, "shop", hosts, time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(ctx, sh, "shop")
	if err != nil || !slices.Equal(got, hosts) {
		t.Fatalf("read %v %v", got, err)
	}
	// Written again: replaced, not appended; another service is separate.
	if err := Write(ctx, sh, "shop", hosts[:1], time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := Read(ctx, sh, "shop"); !slices.Equal(got, hosts[:1]) {
		t.Errorf("after rewrite: %v", got)
	}
	if got, _ := Read(ctx, sh, "blog"); got != nil {
		t.Errorf("blog: %v", got)
	}
	entries, _ := os.ReadDir(sh.Home + "/.berth/roster")
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestParseRefusesANewerFormatAndGarbage(t *testing.T) {
	if _, err := Parse([]byte(`{"format_version": 9, "hosts": []}`), "shop"); err == nil || !strings.Contains(err.Error(), "upgrade berth") {
		t.Errorf("newer format: %v", err)
	}
	if _, err := Parse([]byte(`{not json`), "shop"); err == nil || !strings.Contains(err.Error(), "shop.json") {
		t.Errorf("garbage: %v", err)
	}
}

func TestServiceNameIsQuoted(t *testing.T) {
	home := t.TempDir()
	evil := "x'; touch " + home + "/pwned; '"
	_ = Write(context.Background(), shelltest.Shell{Home: home}, evil, nil, time.Now())
	_, _ = Read(context.Background(), shelltest.Shell{Home: home}, evil)
	if _, err := os.Stat(home + "/pwned"); err == nil {
		t.Fatal("service name was interpreted by the shell")
	}
}

type fixedRunner []byte

func (f fixedRunner) Run(context.Context, string, io.Reader) ([]byte, error) { return f, nil }

// The same roster on many hosts is parsed once and shared.
func TestCacheParsesEachDistinctRosterOnce(t *testing.T) {
	var c Cache
	ctx := context.Background()
	a := fixedRunner(`{"format_version":1,"service":"shop","hosts":[{"name":"h1","address":"10.0.0.1"}]}`)
	b := fixedRunner(`{"format_version":1,"service":"shop","hosts":[{"name":"h2","address":"10.0.0.2"}]}`)
	x, err := c.Read(ctx, a, "shop")
	if err != nil {
		t.Fatal(err)
	}
	y, _ := c.Read(ctx, a, "shop")
	z, _ := c.Read(ctx, b, "shop")
	if len(x.Hosts) != 1 || &x.Hosts[0] != &y.Hosts[0] {
		t.Error("the same roster was parsed twice")
	}
	if len(z.Hosts) != 1 || z.Hosts[0].Name != "h2" {
		t.Errorf("another roster: %v", z)
	}
}

// A roster that arrives short is not installed: the old one stays.
func TestShortRosterNotInstalled(t *testing.T) {
	sh := shelltest.New(t)
	ctx := context.Background()
	hosts := []planner.RosterHost{{Name: "h1", Address: "10.77.0.11"}}
	if err := Write(ctx, sh, "shop", hosts, time.Now()); err != nil {
		t.Fatal(err)
	}
	body, err := EncodeFull("shop", []planner.RosterHost{{Name: "h9", Address: "10.77.0.19"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteEncoded(ctx, cutShort{sh}, "shop", body); err == nil {
		t.Fatal("a cut-off roster was reported written")
	}
	if got, err := Read(ctx, sh, "shop"); err != nil || !slices.Equal(got, hosts) {
		t.Errorf("after a cut-off write: %v %v, want the old roster", got, err)
	}
	entries, _ := os.ReadDir(sh.Home + "/.berth/roster")
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// cutShort passes on only half of stdin, as a connection cut mid-transfer does.
type cutShort struct{ r Runner }

func (c cutShort) Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	b, _ := io.ReadAll(stdin)
	return c.r.Run(ctx, cmd, bytes.NewReader(b[:len(b)/2]))
}

// fleetOf is a Cache whose keepers are shell homes by host name, counting
// the reads of each.
type fleetOf struct {
	homes map[string]shelltest.Shell
	reads map[string]int
}

func newFleetOf(t *testing.T, names ...string) *fleetOf {
	f := &fleetOf{homes: map[string]shelltest.Shell{}, reads: map[string]int{}}
	for _, n := range names {
		f.homes[n] = shelltest.New(t)
	}
	return f
}

func (f *fleetOf) cache() *Cache {
	return &Cache{Keeper: func(_ context.Context, h planner.RosterHost) (Runner, error) {
		sh, ok := f.homes[h.Name]
		if !ok {
			return nil, errors.New("unreachable")
		}
		f.reads[h.Name]++
		return sh, nil
	}}
}

func hostsNamed(names ...string) []planner.RosterHost {
	var out []planner.RosterHost
	for i, n := range names {
		out = append(out, planner.RosterHost{Name: n, Address: fmt.Sprintf("10.77.0.%d", 11+i), User: "root", Port: 22})
	}
	return out
}

// A stub is followed to a keeper once per cache, and gives the whole list.
func TestStubIsFollowedToAKeeperOnce(t *testing.T) {
	ctx := context.Background()
	f := newFleetOf(t, "h1", "h2", "h3", "h4", "h5")
	hosts := hostsNamed("h1", "h2", "h3", "h4", "h5")
	now := time.Now()
	full, _ := EncodeFull("shop", hosts, now)
	stub, err := EncodeStub("shop", hosts, hosts[:2], now)
	if err != nil {
		t.Fatal(err)
	}
	if len(stub) >= len(full) {
		t.Errorf("a stub of %d bytes is no smaller than the whole roster (%d)", len(stub), len(full))
	}
	for _, h := range []string{"h1", "h2"} {
		if err := WriteEncoded(ctx, f.homes[h], "shop", full); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []string{"h3", "h4", "h5"} {
		if err := WriteEncoded(ctx, f.homes[h], "shop", stub); err != nil {
			t.Fatal(err)
		}
	}
	c := f.cache()
	for _, h := range []string{"h3", "h4", "h5"} {
		seen, err := c.Read(ctx, f.homes[h], "shop")
		if err != nil {
			t.Fatal(err)
		}
		if !seen.Stub || !slices.Equal(seen.Hosts, hosts) || seen.Digest != Digest(hosts) {
			t.Errorf("%s: %+v", h, seen)
		}
	}
	if f.reads["h1"]+f.reads["h2"] != 1 {
		t.Errorf("keepers read %v times, want once in all", f.reads)
	}
	// A keeper read as a host of the plan first: no read of a keeper at all.
	f.reads = map[string]int{}
	c = f.cache()
	if seen, err := c.Read(ctx, f.homes["h2"], "shop"); err != nil || seen.Stub || !slices.Equal(seen.Hosts, hosts) {
		t.Fatalf("keeper h2: %+v %v", seen, err)
	}
	if seen, err := c.Read(ctx, f.homes["h4"], "shop"); err != nil || !slices.Equal(seen.Hosts, hosts) {
		t.Fatalf("h4: %+v %v", seen, err)
	}
	if len(f.reads) != 0 {
		t.Errorf("keepers read %v, want none: the plan had read one", f.reads)
	}
}

// A stub whose first keeper is gone is followed to the next; when none
// has the list, the error names the keepers. A keeper that moved on to a
// later roster stands for the stub.
func TestStubWithItsKeepersGoneOrMovedOn(t *testing.T) {
	ctx := context.Background()
	f := newFleetOf(t, "h2", "h3")
	hosts := hostsNamed("h1", "h2", "h3")
	then := time.Now().Add(-time.Hour)
	stub, _ := EncodeStub("shop", hosts, hosts[:2], then)
	_ = WriteEncoded(ctx, f.homes["h3"], "shop", stub)
	full, _ := EncodeFull("shop", hosts, then)
	_ = WriteEncoded(ctx, f.homes["h2"], "shop", full)
	if seen, err := f.cache().Read(ctx, f.homes["h3"], "shop"); err != nil || !slices.Equal(seen.Hosts, hosts) {
		t.Errorf("h1 unreachable, h2 keeps it: %+v %v", seen, err)
	}

	later, _ := EncodeFull("shop", hosts[1:], time.Now())
	_ = WriteEncoded(ctx, f.homes["h2"], "shop", later)
	if seen, err := f.cache().Read(ctx, f.homes["h3"], "shop"); err != nil || !slices.Equal(seen.Hosts, hosts[1:]) {
		t.Errorf("h2 moved on: %+v %v", seen, err)
	}

	older, _ := EncodeFull("shop", hosts[2:], then.Add(-time.Hour))
	_ = WriteEncoded(ctx, f.homes["h2"], "shop", older)
	_, err := f.cache().Read(ctx, f.homes["h3"], "shop")
	if err == nil || !strings.Contains(err.Error(), "kept on h1, h2") || !strings.Contains(err.Error(), "h1: unreachable") {
		t.Errorf("no keeper has it: %v", err)
	}
	if _, err := (&Cache{}).Read(ctx, f.homes["h3"], "shop"); err == nil {
		t.Error("a cache without keepers followed a stub")
	}
}
