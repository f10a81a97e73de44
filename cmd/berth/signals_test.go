package main

import (
	"syscall"
	"testing"
	"time"
)

// TestHangupCancelsTheRun: SIGHUP (the terminal went away) cancels the
// run's context as Ctrl-C does, so an apply stops the graceful way instead
// of dying with the lock held.
func TestHangupCancelsTheRun(t *testing.T) {
	ctx, stop := signals()
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGHUP did not cancel the run's context")
	}
}
