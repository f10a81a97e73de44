// Package shelltest runs the shell commands that berth sends to hosts
// (the lock, the audit log, the roster) with the real /bin/sh in a
// temporary HOME, for those packages' tests. It is for tests only.
package shelltest

import (
	"context"
	"io"
	"os"
	"os/exec"
	"testing"
)

// Shell runs commands with /bin/sh -c, HOME set to Home.
type Shell struct{ Home string }

// New returns a Shell whose HOME is a new temporary directory of t.
func New(t testing.TB) Shell { return Shell{Home: t.TempDir()} }

// Run runs cmd with stdin and returns its standard output.
func (s Shell) Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Env = append(os.Environ(), "HOME="+s.Home)
	c.Stdin = stdin
	return c.Output()
}
