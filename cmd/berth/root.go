package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// app is what every command shares: the streams, the environment and the
// global flags. It is built per run; there are no package-level globals.
type app struct {
	stdio
	environ []string
	chdir   string
	// destination is --destination; destinationName adds BERTH_DESTINATION.
	destination string
	// parsed are the configuration files the aliases were read from, in
	// parsedDir, for loadConfig to use again.
	parsed    map[string]*hcl.File
	parsedDir string
}

// exitError carries an exit code other than 1 through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// errSilent reports failure (exit 1) after the command printed its own error.
var errSilent = errors.New("failed")

func run(ctx context.Context, args []string, io stdio, environ []string) int {
	a := &app{stdio: io, environ: environ}
	root := newRootCmd(a)
	args, err := a.withAliases(ctx, root, args)
	if err == nil {
		root.SetArgs(args)
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(a.Err, "Error: %v\n", err)
	}
	if ctx.Err() != nil {
		return 130
	}
	return 1
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Deploy containers to plain Linux hosts over SSH, plan first",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.In)
	root.SetOut(a.Out)
	root.SetErr(a.Err)
	root.PersistentFlags().StringVarP(&a.chdir, "chdir", "C", ".", "configuration directory (every *.hcl file in it)")
	root.PersistentFlags().StringVarP(&a.destination, "destination", "d", "", "`NAME`: lay the override files *.NAME.hcl and NAME/*.hcl over the configuration (default $BERTH_DESTINATION)")
	root.AddCommand(
		newValidateCmd(a),
		newFmtCmd(a),
		newPlanCmd(a),
		newBuildCmd(a),
		newShowCmd(a),
		newGraphCmd(a),
		newApplyCmd(a),
		newStatusCmd(a),
		newLockCmd(a),
		newAuditCmd(a),
		newRollbackCmd(a),
		newDestroyCmd(a),
		newLogsCmd(a),
		newExecCmd(a),
		newAccessoryCmd(a),
		newPruneCmd(a),
		newInitCmd(a),
		newStopCmd(a),
		newStartCmd(a),
		newMaintenanceCmd(a),
		newImportCmd(a),
		newProxyCmd(a),
	)
	return root
}
