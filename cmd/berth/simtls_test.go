package main

import (
	"fmt"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/berth-sh/berth/internal/testcert"
)

// simCertCmd is `simcert NAME`: a CA and a certificate for NAME, written
// as ca.crt, tls.crt and tls.key into the working directory.
func simCertCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: simcert NAME")
	}
	set, err := testcert.New(args[0])
	if err != nil {
		ts.Fatalf("simcert: %v", err)
	}
	for name, b := range map[string][]byte{"ca.crt": set.CA, "tls.crt": set.Cert, "tls.key": set.Key} {
		if err := os.WriteFile(ts.MkAbs(name), b, 0o600); err != nil {
			ts.Fatalf("simcert: %v", err)
		}
	}
}

// simFilesCmd is `simfiles HOST`: the files copied into HOST's containers
// through the Docker API, one "MODE PATH" line each.
func simFilesCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: simfiles HOST")
	}
	for _, f := range host(ts, args[0]).Docker.Files() {
		fmt.Fprintln(ts.Stdout(), f)
	}
}
