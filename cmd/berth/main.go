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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
