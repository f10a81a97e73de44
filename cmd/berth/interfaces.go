package main

import (
	"github.com/berth-sh/berth/executor"
	"github.com/berth-sh/berth/executor/audit"
	"github.com/berth-sh/berth/executor/lock"
	"github.com/berth-sh/berth/executor/logs"
	"github.com/berth-sh/berth/executor/oneoff"
	"github.com/berth-sh/berth/executor/progress"
	"github.com/berth-sh/berth/executor/prune"
	"github.com/berth-sh/berth/executor/roster"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/planner"
)

// The real clients satisfy the small interfaces their consumers define;
// these checks fail the build when one of them drifts.
var (
	_ executor.Docker        = (*dockerapi.Client)(nil)
	_ executor.Reporter      = (*progress.Lines)(nil)
	_ executor.Reporter      = (*progress.Live)(nil)
	_ oneoff.Docker          = (*dockerapi.Client)(nil)
	_ prune.Docker           = (*dockerapi.Client)(nil)
	_ logs.Streamer          = (*dockerapi.Client)(nil)
	_ dockerapi.Dialer       = (*sshx.Conn)(nil)
	_ lock.Runner            = (*sshx.Conn)(nil)
	_ audit.Runner           = (*sshx.Conn)(nil)
	_ roster.Runner          = (*sshx.Conn)(nil)
	_ planner.DigestResolver = (*registry.Resolver)(nil)
)
