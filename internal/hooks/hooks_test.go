package hooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeHook writes an executable hook script into dir's .berth/hooks.
func writeHook(t *testing.T, dir, name, script string, mode os.FileMode) {
	t.Helper()
	hd := filepath.Join(dir, Dir)
	if err := os.MkdirAll(hd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hd, name), []byte("#!/bin/sh\n"+script), mode); err != nil {
		t.Fatal(err)
	}
}

type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) add(hook, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, hook+": "+line)
}

func TestFindInOrderWithDigests(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, PostApply, "exit 0\n", 0o755)
	writeHook(t, dir, PreApply, "exit 0\n", 0o755)
	writeHook(t, dir, "pre-apply.sample", "exit 0\n", 0o755)
	got, err := Find(dir, ForApply...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != PreApply || got[1].Name != PostApply || got[0].Path != ".berth/hooks/pre-apply" {
		t.Fatalf("Find = %+v", got)
	}
	if !strings.HasPrefix(got[0].Digest, "sha256:") || len(got[0].Digest) != 71 {
		t.Errorf("digest %q", got[0].Digest)
	}
	none, err := Find(t.TempDir(), Names...)
	if err != nil || len(none) != 0 {
		t.Errorf("no hooks dir: %v, %v", none, err)
	}
}

func TestFindRefusesANonExecutableHook(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, PreApply, "exit 0\n", 0o644)
	_, err := Find(dir, ForApply...)
	if !errors.Is(err, ErrNotExecutable) || !strings.Contains(err.Error(), ".berth/hooks/pre-apply is not executable") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunPassesVarsAndOutput(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, PostApply, `echo "$BERTH_HOOK $BERTH_SERVICE $BERTH_VERSION $BERTH_HOSTS $BERTH_ROLES $BERTH_OUTCOME $BERTH_DURATION $BERTH_USER $BERTH_PLAN_DIGEST"
echo to-stderr >&2
printf 'no newline'
`, 0o755)
	hs, err := Find(dir, PostApply)
	if err != nil {
		t.Fatal(err)
	}
	var l lines
	r := &Runner{Dir: dir, Line: l.add}
	err = r.Run(context.Background(), hs[0], Vars{Command: "apply", Service: "shop", Version: "v2", Hosts: []string{"h1", "h2"},
		Roles: []string{"web"}, Outcome: "succeeded", Duration: 2410 * time.Millisecond, User: "ann@box", PlanDigest: "sha256:ab"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"post-apply: post-apply shop v2 h1,h2 web succeeded 2.41 ann@box sha256:ab", "post-apply: to-stderr", "post-apply: no newline"}
	if !slices.Equal(l.got, want) {
		t.Fatalf("lines = %q, want %q", l.got, want)
	}
}

func TestRunFailure(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, PreApply, "echo CI is red\nexit 3\n", 0o755)
	hs, _ := Find(dir, PreApply)
	var l lines
	err := (&Runner{Dir: dir, Line: l.add}).Run(context.Background(), hs[0], Vars{})
	var he *Error
	if !errors.As(err, &he) || he.Hook != PreApply || err.Error() != "hook pre-apply failed: exit status 3" {
		t.Fatalf("err = %v", err)
	}
	if !slices.Equal(l.got, []string{"pre-apply: CI is red"}) {
		t.Errorf("lines = %q", l.got)
	}
}

func TestRunTimeoutKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, PreApply, "sleep 30 &\nsleep 30\n", 0o755)
	hs, _ := Find(dir, PreApply)
	start := time.Now()
	err := (&Runner{Dir: dir, Timeout: 200 * time.Millisecond}).Run(context.Background(), hs[0], Vars{})
	var he *Error
	if !errors.As(err, &he) || he.TimedOut != 200*time.Millisecond || !strings.Contains(err.Error(), "did not finish within its timeout of 200ms") {
		t.Fatalf("err = %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %s", el)
	}
}

func TestRunRefusesAHookChangedSinceThePlan(t *testing.T) {
	dir := t.TempDir()
	writeHook(t, dir, PreApply, "exit 0\n", 0o755)
	hs, _ := Find(dir, PreApply)
	writeHook(t, dir, PreApply, "echo injected\n", 0o755)
	err := (&Runner{Dir: dir}).Run(context.Background(), hs[0], Vars{})
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("err = %v", err)
	}
}
