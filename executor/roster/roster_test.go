package roster

import (
	"bytes"
	"context"
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
	if len(x) != 1 || &x[0] != &y[0] {
		t.Error("the same roster was parsed twice")
	}
	if len(z) != 1 || z[0].Name != "h2" {
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
	body, err := Encode("shop", []planner.RosterHost{{Name: "h9", Address: "10.77.0.19"}}, time.Now())
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
