// Command berth deploys containerised applications to plain Linux hosts over
// SSH, the way Terraform works: plan the diff against the live hosts, review
// it, apply exactly that. This package is cobra wiring only: every command
// parses its flags into a struct, calls the packages that do the work and
// renders their result.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signals()
	stopProfile := profile(os.Getenv, os.Stderr)
	code := run(ctx, os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ())
	stopProfile()
	stop()
	os.Exit(code)
}

// stdio are the streams a command reads and writes.
type stdio struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// signals is the context of a run: cancelled by Ctrl-C (SIGINT), SIGTERM
// or SIGHUP (the terminal or the SSH session berth runs in went away),
// each of which stops an apply the graceful way (nothing new starts,
// running steps finish or clean up, the lock is released). SIGPIPE is
// caught and dropped: when the reader of berth's output goes away (`berth
// apply | head`), writes to it fail and the run goes on to its end rather
// than dying half-way with the lock held.
func signals() (context.Context, context.CancelFunc) {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}
