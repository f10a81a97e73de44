package roster

import (
	"context"
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
