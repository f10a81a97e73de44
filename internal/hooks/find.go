package hooks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-sh/berth/planner"
)

// Dir is where the hooks are, relative to the configuration directory.
const Dir = ".berth/hooks"

// The hooks berth knows, by the moment they run.
const (
	PrePlan      = "pre-plan"      // before a plan reads the hosts
	PreApply     = "pre-apply"     // before an apply changes any host; non-zero stops it
	PostBarrier  = "post-barrier"  // once the primary is healthy, before any other role cuts over
	PostApply    = "post-apply"    // after an apply that succeeded
	PostFailure  = "post-failure"  // after an apply that failed or was interrupted
	PreRollback  = "pre-rollback"  // before a rollback changes any host; non-zero stops it
	PostRollback = "post-rollback" // after a rollback, however it ended
)

// Names are every hook berth runs, in the order of a deploy.
var Names = []string{PrePlan, PreApply, PostBarrier, PostApply, PostFailure, PreRollback, PostRollback}

// ForApply are the hooks an apply runs, in the order they run; a plan
// records the ones present.
var ForApply = []string{PreApply, PostBarrier, PostApply, PostFailure}

// ForRollback are the hooks a rollback runs.
var ForRollback = []string{PreRollback, PostRollback}

// Describe says when a hook runs and what its failure does, for the plan.
func Describe(name string) string {
	switch name {
	case PrePlan:
		return "runs before the plan reads the hosts; a failure stops it"
	case PreApply:
		return "runs before any host changes; a failure stops the apply"
	case PostBarrier:
		return "runs once the primary is healthy, before any other role cuts over; a failure holds them back"
	case PostApply:
		return "runs after the apply succeeded"
	case PostFailure:
		return "runs if the apply fails or is interrupted"
	case PreRollback:
		return "runs before any host changes; a failure stops the rollback"
	case PostRollback:
		return "runs after the rollback, however it ended"
	}
	return ""
}

// ErrNotExecutable is wrapped by Find's error for a hook file that cannot
// be run: a hook that silently does not run could let a deploy through
// that it should have stopped.
var ErrNotExecutable = errors.New("is not executable")

// Find returns the hooks among names that configDir's .berth/hooks holds,
// in the order of names, each with the digest of its file. A missing
// directory or hook is none; a hook file that is not an executable
// regular file is an error.
func Find(configDir string, names ...string) ([]planner.Hook, error) {
	var (
		out  []planner.Hook
		errs []error
	)
	for _, n := range names {
		rel := filepath.ToSlash(filepath.Join(Dir, n))
		path := filepath.Join(configDir, Dir, n)
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("hook %s: %w", rel, err))
			continue
		}
		if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			errs = append(errs, fmt.Errorf("hook %s %w (chmod +x it, or remove it)", rel, ErrNotExecutable))
			continue
		}
		d, err := digest(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("hook %s: %w", rel, err))
			continue
		}
		out = append(out, planner.Hook{Name: n, Path: rel, Digest: d})
	}
	return out, errors.Join(errs...)
}

// digest is "sha256:" and the hex SHA-256 of the file's bytes.
func digest(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
