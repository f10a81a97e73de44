//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// shellConfig is a service whose web role runs the lab's Debian nginx
// image (it has a shell) on h1, publishing no port.
func shellConfig(l *LabEnv, service string) string {
	return fmt.Sprintf(`
service %q {
  image = "%s/nginx"
}
%s
%s
role "web" {
  primary = true
  hosts   = [host.h1]
}
`, service, Registry, l.RegistryBlock(), l.HostBlocks("h1", "h2", "h3")) + deployBlock("bookworm", 1)
}

// terminal runs berth under script(1), which gives it a pseudo-terminal
// of 91 columns and 33 rows as its stdin and stdout: what berth sees is a
// person at a terminal. Input goes in through in; output is collected.
type terminal struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	mu   sync.Mutex
	out  strings.Builder
	done chan struct{}
}

func startTerminal(t *testing.T, l *LabEnv, dir string, args ...string) *terminal {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	line := "stty cols 91 rows 33; exec " + shellQuote(BerthPath(t)) + " " + strings.Join(quoted, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "script", "-qefc", line, "/dev/null")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REGISTRY_PASSWORD="+l.RegistryPassword, "TERM=dumb")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term := &terminal{cmd: cmd, in: in, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		r := bufio.NewReader(out)
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return term
}

func (term *terminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// typeLine types a line and waits until want shows in the output.
func (term *terminal) typeLine(t *testing.T, line, want string) {
	t.Helper()
	if _, err := io.WriteString(term.in, line+"\r"); err != nil {
		t.Fatalf("typing %q: %v", line, err)
	}
	Eventually(t, 30*time.Second, func() error {
		if !strings.Contains(term.output(), want) {
			return fmt.Errorf("no %q after typing %q; the terminal shows:\n%s", want, line, term.output())
		}
		return nil
	})
}

// wait waits for berth to end and returns its exit status.
func (term *terminal) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-term.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("berth did not end; the terminal shows:\n%s", term.output())
	}
	err := term.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestExecInteractiveConsole(t *testing.T) {
	l := Lab(t)
	if !inRegistry(t, l, "nginx", "bookworm") {
		t.Skip("the lab registry has no nginx:bookworm (the Debian image set of test/lab is not built): no image with a shell")
	}
	svc := l.Service(t, "console")
	dir := l.WriteConfig(t, shellConfig(l, svc))
	mustBerth(t, l, dir, "apply", "--auto-approve")

	for _, mode := range []struct{ name, flag string }{{"reuse", "--reuse"}, {"one-off", "--primary"}} {
		t.Run(mode.name, func(t *testing.T) {
			term := startTerminal(t, l, dir, "exec", "web", "-i", mode.flag, "--", "sh")
			// A command typed gives its output; the arithmetic shows it
			// ran remotely rather than echoed back.
			term.typeLine(t, "echo answer=$((6*7))", "answer=42")
			// A terminal: test -t, and the window's size came along.
			term.typeLine(t, "test -t 0 && echo tty=yes", "tty=yes")
			term.typeLine(t, "stty size", "33 91")
			term.typeLine(t, "echo pid1=$(cat /proc/1/comm)", "pid1=")
			if mode.flag == "--reuse" && !strings.Contains(term.output(), "pid1=nginx") {
				t.Errorf("--reuse did not run in the running nginx container:\n%s", term.output())
			}
			// exit ends the session with the shell's status.
			io.WriteString(term.in, "exit 7\r")
			if code := term.wait(t); code != 7 {
				t.Errorf("exit 7: berth exited %d; the terminal shows:\n%s", code, term.output())
			}
		})
	}
	if cs := l.ContainersByLabel(t, "h1", "berth.oneoff="+svc); len(cs) != 0 {
		t.Errorf("one-off containers left: %+v", cs)
	}
}
