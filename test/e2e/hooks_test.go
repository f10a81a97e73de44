//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// writeHook writes an executable hook script into the configuration's
// .berth/hooks.
func writeHook(t *testing.T, dir, name, script string) {
	t.Helper()
	hd := filepath.Join(dir, ".berth", "hooks")
	if err := os.MkdirAll(hd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hd, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// inOrder checks that a line matching each pattern appears in out, in
// this order.
func inOrder(t *testing.T, out string, patterns ...string) {
	t.Helper()
	prev := -1
	for _, p := range patterns {
		i := lineIndex(out, p)
		if i < 0 || i <= prev {
			t.Fatalf("want a line %q after line %d, found at %d:\n%s", p, prev, i, out)
		}
		prev = i
	}
}

func TestHookFailingPreApplyChangesNoHost(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "hookpre")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	writeHook(t, dir, "pre-apply", `echo "CI is red for $BERTH_SERVICE $BERTH_VERSION"; exit 1`+"\n")

	r := l.Berth(t, dir, "apply", "--auto-approve")
	if r.Code != 1 {
		t.Fatalf("apply with a failing pre-apply hook: want exit 1: %s", r)
	}
	if !strings.Contains(r.Stdout, "hook pre-apply | CI is red for "+svc+" v1") || !strings.Contains(r.Stderr, "hook pre-apply failed: exit status 1") {
		t.Fatalf("the hook's output or its failure is missing: %s", r)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if cs := l.Containers(t, h, svc); len(cs) != 0 {
			t.Errorf("%s has containers of %s after a refused apply: %+v", h, svc, cs)
		}
	}
}

// startedAt is when Docker started a container on host.
func startedAt(t *testing.T, l *LabEnv, host, name string) time.Time {
	t.Helper()
	out := strings.TrimSpace(l.MustSSH(t, host, "docker inspect -f '{{.State.StartedAt}}' "+shellQuote(name)))
	ts, err := time.Parse(time.RFC3339Nano, out)
	if err != nil {
		t.Fatalf("StartedAt of %s on %s: %v", name, host, err)
	}
	return ts
}

func TestHookPostBarrierRunsOnceAfterThePrimaryBeforeOtherRoles(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "hookbar")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	mustApply(t, l, dir)
	writeHook(t, dir, "post-barrier", `date -u +%Y-%m-%dT%H:%M:%S.%NZ >> barrier.times
echo "migrating $BERTH_VERSION on $BERTH_HOSTS"
`)
	os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(appConfig(l, svc, "v2", "")), 0o644)

	r := mustApply(t, l, dir)
	inOrder(t, r.Stdout,
		`h1/web +health +done`,
		`hook post-barrier: running .berth/hooks/post-barrier`,
		`hook post-barrier \| migrating v2 on h1,h2,h3`,
		`hook post-barrier: done`,
		`barrier open`,
	)
	barrier := lineIndex(r.Stdout, `barrier open`)
	for _, p := range []string{`h2/web +stop_old +started`, `h2/web +start +started`, `h3/worker +start +started`} {
		if i := lineIndex(r.Stdout, p); i < barrier {
			t.Errorf("%q (line %d) before the barrier opened (line %d):\n%s", p, i, barrier, r.Stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "barrier.times"))
	if err != nil {
		t.Fatal(err)
	}
	times := Lines(string(b))
	if len(times) != 1 {
		t.Fatalf("post-barrier ran %d times, want once: %q", len(times), times)
	}
	ran, err := time.Parse(time.RFC3339Nano, times[0])
	if err != nil {
		t.Fatal(err)
	}
	// The lab's hosts share the machine's clock.
	if p := startedAt(t, l, "h1", svc+"-web-v2"); !p.Before(ran) {
		t.Errorf("the primary started at %s, not before the hook ran at %s", p, ran)
	}
	for h, name := range map[string]string{"h2": svc + "-web-v2", "h3": svc + "-worker-v2"} {
		if s := startedAt(t, l, h, name); !s.After(ran) {
			t.Errorf("%s on %s started at %s, not after the hook ran at %s", name, h, s, ran)
		}
	}
	mustServe(t, l, "v2")
}

func TestReplaceOnlyThatContainerPrimaryFirst(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "replace")
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", ""))
	mustApply(t, l, dir)
	ids := map[string]string{}
	for _, h := range []string{"h1", "h2", "h3"} {
		for _, c := range l.Containers(t, h, svc) {
			if c.State == "running" {
				ids[h] = c.ID
			}
		}
	}

	r := l.Berth(t, dir, "plan", "--replace", "h2/web", "--detailed-exitcode")
	if r.Code != 2 || !regexp.MustCompile(`~ h2/web +\(replace\) +`+svc+`-web-v1 → `+svc+`-web-v1`).MatchString(r.Stdout) ||
		!strings.Contains(r.Stdout, "replace requested") || !strings.Contains(r.Stdout, "Plan: 0 to create, 1 to replace, 0 to remove, 2 unchanged.") {
		t.Fatalf("plan --replace h2/web: %s", r)
	}
	if !regexp.MustCompile(`h2/web +pull, create, \(wait: barrier\), stop_old, start, health, prune`).MatchString(r.Stdout) {
		t.Fatalf("h2/web does not wait for the barrier: %s", r)
	}

	r = mustApply(t, l, dir, "--replace", "h2/web")
	inOrder(t, r.Stdout, `barrier open`, `h2/web +stop_old +started`, `h2/web +start +started`, `h2/web +health +done`)
	for _, p := range []string{`h1/web +(pull|start|stop_old)`, `h3/worker +(pull|start|stop_old)`} {
		if i := lineIndex(r.Stdout, p); i >= 0 {
			t.Errorf("a container other than h2/web's moved: %q:\n%s", p, r.Stdout)
		}
	}
	for _, h := range []string{"h1", "h3"} {
		for _, c := range l.Containers(t, h, svc) {
			if c.ID != ids[h] {
				t.Errorf("%s has another container than before: %s %s (%s)", h, c.Name, c.ID[:12], c.State)
			}
		}
	}
	var newOne, oldOne bool
	for _, c := range l.Containers(t, "h2", svc) {
		switch {
		case c.ID == ids["h2"]:
			oldOne = c.State == "exited" && strings.HasPrefix(c.Name, svc+"-web-v1-")
		case c.State == "running" && c.Name == svc+"-web-v1" && c.Labels["berth.version"] == "v1":
			newOne = true
		}
	}
	if !newOne || !oldOne {
		t.Fatalf("h2: want a new running %s-web-v1 and the old one kept stopped under another name: %v", svc, l.Containers(t, "h2", svc))
	}
	mustServe(t, l, "v1")
	mustBeConverged(t, l, dir)
}
