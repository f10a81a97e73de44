package planner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/lang"
)

// ErrPlanMismatch reports a saved plan that is not what the configuration,
// its variables, its options and the live hosts give now: an edited file,
// or a planner that changed. A *MismatchError matches it with errors.Is.
var ErrPlanMismatch = errors.New("plan file does not match what the configuration and the hosts give now")

// MismatchError names the first field of a saved plan that differs from
// the re-derived plan, as a path into the plan file's JSON
// ("changes[h1/web].desired.env.INJECTED"), and how it differs.
type MismatchError struct {
	Field  string
	Detail string // "not in the re-derived plan", `"v3" in the file, "v2" re-derived`, ...
	// Hint is set when another berth version made the file, which can
	// explain a difference without an edit.
	Hint string
}

func (e *MismatchError) Error() string {
	msg := ErrPlanMismatch.Error() + ": " + e.Field + ": " + e.Detail
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrPlanMismatch) true.
func (e *MismatchError) Is(target error) bool { return target == ErrPlanMismatch }

// Verify re-derives a saved plan from the configuration (loaded with the
// plan's variables), the plan's options and the live state, through Build
// as `berth plan` does, and returns the re-derived plan if it equals the
// saved one. Otherwise it returns:
//   - a *StaleError when the world moved on since the plan: the
//     configuration's hash, a host's containers, or the digest a tag points to;
//   - a *MismatchError naming the first field that differs (an edited file);
//   - Build's error (a host that cannot be read, an unknown target).
//
// opts gives only what the plan does not decide: BerthVersion, Logger,
// ReadParallelism, and the Hooks found now (a hook added, removed or
// changed since the plan makes it stale). The caller holds the deploy lock, so that nothing moves
// between Verify and the apply of the plan it returns.
func Verify(ctx context.Context, saved *Plan, cfg *lang.Config, deps Deps, opts Options) (*Plan, error) {
	if problems := configMoves(saved, cfg); len(problems) > 0 {
		return nil, &StaleError{Problems: problems}
	}
	o := saved.Options()
	o.BerthVersion, o.Logger, o.ReadParallelism = opts.BerthVersion, opts.Logger, opts.ReadParallelism
	o.Hooks = opts.Hooks
	o.Now = func() time.Time { return saved.CreatedAt }
	now, err := Build(ctx, cfg, deps, o)
	if err != nil {
		return nil, err
	}
	snaps := make(map[string]HostSnapshot, len(now.Hosts))
	for _, h := range now.Hosts {
		snaps[h.Name] = h
	}
	problems := hostMoves(saved.Hosts, snaps)
	problems = append(problems, imageMoves(saved.Images, now.Images)...)
	problems = append(problems, hookMoves(saved.Hooks, now.Hooks)...)
	if len(problems) > 0 {
		return nil, &StaleError{Problems: problems}
	}
	if err := Compare(saved, now); err != nil {
		var me *MismatchError
		if errors.As(err, &me) && saved.BerthVersion != now.BerthVersion {
			me.Hint = fmt.Sprintf("the file was made by berth %s, this is berth %s: make a new plan", saved.BerthVersion, now.BerthVersion)
		}
		return nil, err
	}
	return now, nil
}

// imageMoves says which tags resolve to another digest than the plan's.
func imageMoves(planned, now map[string]string) []string {
	var out []string
	for _, ref := range slices.Sorted(maps.Keys(planned)) {
		if d, ok := now[ref]; ok && d != planned[ref] {
			out = append(out, fmt.Sprintf("tag %s now points to %s (the plan has %s)", ref, d, planned[ref]))
		}
	}
	return out
}

// Compare returns nil if the two plans are the same plan, else a
// *MismatchError naming the first field, in the file's order, where the
// saved plan (file) differs from the re-derived one.
//
// It compares the JSON encodings field by field, so that a field added to
// the plan is compared without touching this code. It ignores only what
// legitimately differs between two derivations of the same plan:
// created_at, berth_version and format_version at the top; and, in the live
// containers a change records, their health and started_at, which change by
// themselves and which the host fingerprints leave out as well.
func Compare(file, rederived *Plan) error {
	a, err := jsonTree(file)
	if err != nil {
		return fmt.Errorf("compare plans: %w", err)
	}
	b, err := jsonTree(rederived)
	if err != nil {
		return fmt.Errorf("compare plans: %w", err)
	}
	if field, detail, ok := firstDiff("", a, b); ok {
		return &MismatchError{Field: field, Detail: detail}
	}
	return nil
}

// ignored reports whether key, under the object at path, is left out of
// the comparison. av and bv are its values in the file and the re-derived
// plan (nil where absent).
func ignored(path, key string, av, bv any) bool {
	if path == "" && (key == "created_at" || key == "berth_version" || key == "format_version") {
		return true
	}
	if key == "started_at" {
		return true
	}
	// The plan file leaves out what the host fingerprints and the
	// container IDs fix already (WriteFile): the containers of a host
	// snapshot, and the labels of a live container.
	if key == "containers" && strings.HasPrefix(path, "hosts[") || key == "labels" && liveContainer(path) {
		return true
	}
	// A live container's health is a string; a ContainerSpec's health
	// (the check to run) is an object and is compared.
	_, as := av.(string)
	_, bs := bv.(string)
	return key == "health" && (as || bs) && !isObject(av) && !isObject(bv)
}

// liveContainer reports whether path names a live container of a change
// ("changes[h1/web].running", "changes[h1/web].others[ID]").
func liveContainer(path string) bool {
	if !strings.HasPrefix(path, "changes[") {
		return false
	}
	seg := path[strings.LastIndexByte(path, '.')+1:]
	if i := strings.IndexByte(seg, '['); i >= 0 {
		seg = seg[:i]
	}
	return seg == "running" || seg == "keep" || seg == "others" || seg == "extra"
}

func isObject(v any) bool {
	_, ok := v.(*object)
	return ok
}
