package chaos

import (
	"strings"
	"testing"
	"time"
)

func view(lines map[string]string) View {
	var v View
	for host, out := range lines {
		part, err := ParseView(host, out)
		if err != nil {
			panic(err)
		}
		v = append(v, part...)
	}
	return v
}

// converged is v1 everywhere, with old v0 containers retained.
var converged = map[string]string{
	"h1": "c-web-v1\trunning\tweb\tv1\nc-web-v0\texited\tweb\tv0\n",
	"h2": "c-web-v1\trunning\tweb\tv1\n",
	"h3": "c-worker-v1\trunning\tworker\tv1\n",
}

func TestCheckOneRunning(t *testing.T) {
	if got := CheckOneRunning(view(converged), "v1", "v2"); len(got) != 0 {
		t.Errorf("a converged view: %v", got)
	}
	two := view(map[string]string{
		"h1": converged["h1"], "h2": "c-web-v1\texited\tweb\tv1\nc-web-v2\tcreated\tweb\tv2\n",
		"h3": "c-worker-v1\trunning\tworker\tv1\nc-worker-v2\trunning\tworker\tv2\n",
	})
	got := strings.Join(CheckOneRunning(two, "v1", "v2"), "\n")
	for _, want := range []string{"h2/web runs nothing (c-web-v1 exited, c-web-v2 created)", "h3/worker runs v1 (c-worker-v1) and v2 (c-worker-v2)"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if got := CheckOneRunning(view(converged), "v2"); len(got) != 3 {
		t.Errorf("v1 everywhere is not v2: %v", got)
	}
}

func TestCheckPlanHonest(t *testing.T) {
	two := view(map[string]string{
		"h1": converged["h1"], "h2": converged["h2"],
		"h3": "c-worker-v1\trunning\tworker\tv1\nc-worker-v2\trunning\tworker\tv2\n",
	})
	empty, err := ParsePlan(0, `{"changes":[{"address":{"host":"h1","role":"web"},"action":"unchanged"},{"address":{"host":"h3","role":"worker"},"action":"unchanged"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	// Issue 11's first finding: two workers run and the plan says no changes.
	got := CheckPlanHonest(two, "v1", empty)
	if len(got) != 1 || !strings.Contains(got[0], "h3/worker runs v1 (c-worker-v1) and v2 (c-worker-v2) but the plan for v1 shows no change") {
		t.Errorf("got %v", got)
	}
	if got := CheckPlanHonest(view(converged), "v1", empty); len(got) != 0 {
		t.Errorf("converged and empty: %v", got)
	}
	stop, err := ParsePlan(2, `{"changes":[{"address":{"host":"h3","role":"worker"},"action":"replace"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := CheckPlanHonest(two, "v1", stop); len(got) != 0 {
		t.Errorf("a plan that shows the change: %v", got)
	}
	// Every slot of v1 is a change for v2.
	all, _ := ParsePlan(2, `{"changes":[{"address":{"host":"h1","role":"web"},"action":"replace"},{"address":{"host":"h2","role":"web"},"action":"replace"}]}`)
	if got := CheckPlanHonest(view(converged), "v2", all); len(got) != 1 || !strings.Contains(got[0], "h3/worker") {
		t.Errorf("h3 is missing from the plan: %v", got)
	}
	if got := CheckPlanHonest(view(converged), "v1", PlanResult{Exit: 2}); len(got) != 1 {
		t.Errorf("exit 2 without changes: %v", got)
	}
	if _, err := ParsePlan(1, "Error: host h2 ..."); err == nil {
		t.Error("a failed plan parsed")
	}
}

func TestCheckSecretsAndRedact(t *testing.T) {
	secrets := []Secret{{"registry password", "hunter2"}, {"secret_env value", "s3cr3t"}}
	outs := []Output{{What: "apply", Stdout: "ok", Stderr: "dial: hunter2"}, {What: "plan", Stdout: "DB=s3cr3t"}}
	got := CheckSecrets(outs, secrets)
	want := []string{"the registry password appears in the stderr of apply", "the secret_env value appears in the stdout of plan"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
	if r := Redact("a hunter2 b", secrets); r != "a <registry password> b" {
		t.Errorf("redact: %q", r)
	}
}

func TestCheckLock(t *testing.T) {
	if ParseLockStatus("Unlocked: no apply of x holds the lock on h1.\n") != Unlocked ||
		ParseLockStatus("Locked on h1 by root@m since ...") != Locked || ParseLockStatus("Error: ...") != LockUnknown {
		t.Fatal("ParseLockStatus")
	}
	cases := []struct {
		st     LockState
		killed bool
		stderr string
		ok     bool
	}{
		{Unlocked, false, "", true},
		{Locked, true, "", true},
		{Locked, false, "Warning: release: EOF; run `berth lock release`", true},
		{Locked, false, "Error: h2/web failed", false},
		{LockUnknown, true, "", false},
	}
	for _, c := range cases {
		if got := CheckLock(c.st, c.killed, c.stderr); (len(got) == 0) != c.ok {
			t.Errorf("CheckLock(%v, %v, %q) = %v", c.st, c.killed, c.stderr, got)
		}
	}
}

func TestStrict(t *testing.T) {
	cases := []struct {
		r      Round
		fired  bool
		strict bool
	}{
		{Round{Fault: KillBerth}, true, false},
		{Round{Fault: KillBerth}, false, true}, // the moment never came: nothing happened
		{Round{Fault: KillDockerd, Host: "h2"}, true, false},
		{Round{Fault: LinkCut, Host: "h2", Hold: 3 * time.Second}, true, true},
		{Round{Fault: LinkCut, Host: "h2", Hold: 8 * time.Second}, true, false},
		{Round{Fault: KillSSHD, Host: "h3", Hold: UntilExit}, true, false},
		{Round{Fault: KillSSHD, Host: "h3"}, true, true},
		{Round{Fault: PacketDrop, Host: "h1", Hold: 8 * time.Second}, true, true},
		{Round{Fault: SigintBerth}, true, true},
		{Round{Fault: BrokenImage}, true, true},
	}
	for _, c := range cases {
		if got, why := Strict(c.r, c.fired); got != c.strict || got != (why == "") {
			t.Errorf("Strict(%s, %v) = %v, %q", c.r, c.fired, got, why)
		}
	}
}
