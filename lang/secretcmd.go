package lang

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// SecretCommandTimeout bounds one secret_cmd command: long enough for a
// password manager to ask for an unlock, short enough never to hang a CI job.
const SecretCommandTimeout = 2 * time.Minute

// maxSecretOutput bounds what a secret_cmd command may print.
const maxSecretOutput = 1 << 20

// RunSecretCommand runs a secret_cmd command: argv without a shell, in dir,
// with exactly environ, standard input empty. It returns its standard
// output; its standard error is discarded (it might hold the secret).
type RunSecretCommand func(ctx context.Context, dir string, environ, argv []string) ([]byte, error)

// ErrSecretCommand is the error of a secret_cmd command that could not run
// or failed.
var ErrSecretCommand = errors.New("command")

// cmdResult is one secret_cmd run, cached for the rest of the Load.
type cmdResult struct {
	value string
	err   error
}

// secretCmdFunc returns secret_cmd(argv): the standard output of a command,
// its trailing newline removed, always sensitive. Each distinct argv runs
// once per Load; validate mode runs nothing and yields an unknown value.
func (l *loader) secretCmdFunc() function.Function {
	return function.New(&function.Spec{
		Description: "The standard output of a command run without a shell (sensitive).",
		Params:      []function.Parameter{{Name: "argv", Type: cty.List(cty.String)}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			var argv []string
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				if v.IsNull() || !v.IsKnown() {
					return cty.UnknownVal(cty.String).Mark(sensitive), nil
				}
				argv = append(argv, v.AsString())
			}
			if len(argv) == 0 || argv[0] == "" {
				return cty.NilVal, errors.New(`secret_cmd takes the command and its arguments, e.g. secret_cmd(["op", "read", "op://vault/item/field"])`)
			}
			if l.opts.Validate {
				return cty.UnknownVal(cty.String).Mark(sensitive), nil
			}
			key := strings.Join(argv, "\x00")
			r, done := l.cmdRuns[key]
			if !done {
				r = l.runSecretCmd(argv)
				l.cmdRuns[key] = r
				if r.err == nil {
					l.secrets = append(l.secrets, r.value)
				}
			}
			if r.err != nil {
				return cty.NilVal, r.err
			}
			return cty.StringVal(r.value).Mark(sensitive), nil
		},
	})
}

// runSecretCmd runs argv once and checks what it printed.
func (l *loader) runSecretCmd(argv []string) cmdResult {
	run := l.opts.SecretCommand
	if run == nil {
		run = ExecSecretCommand
	}
	ctx, cancel := context.WithTimeout(l.ctx, SecretCommandTimeout)
	defer cancel()
	out, err := run(ctx, l.opts.Dir, l.opts.Environ, argv)
	if err != nil {
		return cmdResult{err: err}
	}
	s := strings.TrimSuffix(string(out), "\n")
	s = strings.TrimSuffix(s, "\r")
	switch {
	case s == "":
		return cmdResult{err: fmt.Errorf("%w %q printed nothing on its standard output", ErrSecretCommand, argv[0])}
	case !utf8.ValidString(s):
		return cmdResult{err: fmt.Errorf("%w %q printed something that is not UTF-8 text", ErrSecretCommand, argv[0])}
	}
	return cmdResult{value: s}
}

// ExecSecretCommand is the RunSecretCommand berth uses: the program is
// looked up in environ's PATH (a name with a slash is relative to dir).
// Errors name the program and its exit status, never its output.
func ExecSecretCommand(ctx context.Context, dir string, environ, argv []string) ([]byte, error) {
	prog, err := lookPath(argv[0], dir, environ)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin, cmd.Stderr = dir, environ, nil, nil
	var out limitedBuffer
	cmd.Stdout = &out
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w %q did not finish within %s", ErrSecretCommand, argv[0], SecretCommandTimeout)
	case errors.As(err, &ee):
		return nil, fmt.Errorf("%w %q exited with status %d (its standard error is not shown, as it might hold the secret: run the command yourself to see it)", ErrSecretCommand, argv[0], ee.ExitCode())
	case err != nil:
		return nil, fmt.Errorf("%w %q could not run: %v", ErrSecretCommand, argv[0], err)
	case out.over:
		return nil, fmt.Errorf("%w %q printed more than 1 MiB", ErrSecretCommand, argv[0])
	}
	return out.Bytes(), nil
}

// lookPath finds prog in environ's PATH, not the process's: Load reads
// nothing from os.Getenv.
func lookPath(prog, dir string, environ []string) (string, error) {
	if strings.Contains(prog, "/") {
		if !filepath.IsAbs(prog) {
			prog = filepath.Join(dir, prog)
		}
		if isExecutable(prog) {
			return prog, nil
		}
		return "", fmt.Errorf("%w %q is not an executable file", ErrSecretCommand, prog)
	}
	path := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" || !filepath.IsAbs(d) {
			continue // a relative PATH entry would run whatever the configuration directory holds
		}
		if p := filepath.Join(d, prog); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w %q was not found in PATH", ErrSecretCommand, prog)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// limitedBuffer keeps at most maxSecretOutput bytes and notes when more came.
type limitedBuffer struct {
	bytes.Buffer
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxSecretOutput {
		b.over = true
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

var _ io.Writer = (*limitedBuffer)(nil)
