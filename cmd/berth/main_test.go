package main

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"berth": func() {
			os.Exit(run(context.Background(), os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
		},
		// berth under the open files limit BERTH_TEST_NOFILE (soft and hard).
		"berth-nofile": func() {
			if err := setNoFile(os.Getenv("BERTH_TEST_NOFILE")); err != nil {
				fmt.Fprintln(os.Stderr, "berth-nofile:", err)
				os.Exit(3)
			}
			os.Exit(run(context.Background(), os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: each runs the real
// berth binary and checks its exit status, stdout, stderr and files.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
