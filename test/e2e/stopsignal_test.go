//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// shellWorker is a worker role on the nginx image with a command of its
// own: a shell that ends on SIGTERM and, as PID 1, ignores SIGQUIT.
func shellWorker(mode string) string {
	return fmt.Sprintf(`
role "worker" {
  hosts = [host.h2]
  cmd   = ["sh", "-c", "trap 'echo stopping; exit 0' TERM; while :; do sleep 1 & wait $!; done"]
  env   = { MODE = %q }
}
`, mode)
}

func TestRoleWithItsOwnCmdIsStoppedWithSIGTERMNotTheImagesSignal(t *testing.T) {
	l := Lab(t)
	if !inRegistry(t, l, "nginx", "bookworm") {
		t.Skip("the lab registry has no nginx:bookworm (the Debian image set of test/lab is not built)")
	}
	svc := l.Service(t, "stopsig")
	dir := l.WriteConfig(t, shellConfig(l, svc)+shellWorker("a"))
	mustBerth(t, l, dir, "apply", "--auto-approve")
	signal := func(host, name string) string {
		return strings.TrimSpace(l.MustSSH(t, host, "docker inspect -f '{{.Config.StopSignal}}' "+shellQuote(name)))
	}
	if got := signal("h1", svc+"-web-bookworm"); got != "SIGQUIT" {
		t.Errorf("nginx itself should keep its image's SIGQUIT, has %q", got)
	}
	if got := signal("h2", svc+"-worker-bookworm"); got != "SIGTERM" {
		t.Errorf("the shell worker's stop signal is %q, want SIGTERM", got)
	}
	old := l.Containers(t, "h2", svc)[0].ID

	// A replace stops the old worker: with SIGTERM it ends at once, where
	// nginx's SIGQUIT would wait for the kill at the stop timeout.
	writeFile(t, dir, shellConfig(l, svc)+shellWorker("b"))
	r := mustBerth(t, l, dir, "apply", "--auto-approve")
	if strings.Contains(r.Stdout+r.Stderr, "was killed (SIGKILL)") {
		t.Errorf("the old worker was killed at its stop timeout:\n%s", r)
	}
	out := l.MustSSH(t, "h2", "docker inspect -f '{{.State.ExitCode}}' "+old+"; docker logs "+old+" 2>&1 | tail -1")
	if lines := Lines(out); len(lines) < 2 || lines[0] != "0" || lines[1] != "stopping" {
		t.Errorf("the old worker did not end on its SIGTERM (exit code, last log line): %q", out)
	}
}
