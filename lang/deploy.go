package lang

import (
	"time"

	"github.com/hashicorp/hcl/v2"
)

// DefaultHookTimeout is how long a hook may run unless deploy.hook_timeout
// says otherwise.
const DefaultHookTimeout = 5 * time.Minute

// decodeDeploy fills d with defaults and the deploy block; it returns the
// version attribute, if any.
func (l *loader) decodeDeploy(blocks []*hcl.Block, d *Deploy) *hcl.Attribute {
	*d = Deploy{Parallelism: defaultParallelism, Retain: defaultRetain, StopTimeout: defaultStopTimeout,
		OnFailure: OnFailureStop, ReadinessDelay: defaultReadiness, BarrierTimeout: defaultBarrierTimeout,
		HookTimeout: DefaultHookTimeout}
	if len(blocks) == 0 {
		return nil
	}
	content, diags := blocks[0].Body.Content(deploySchema)
	l.diags = append(l.diags, diags...)
	at := content.Attributes
	if v, ok := l.integer(at["parallelism"], 1, 1000); ok {
		d.Parallelism, d.ParallelismSet = v, true
	}
	if v, ok := l.integer(at["retain"], 0, 100); ok {
		d.Retain = v
	}
	if v, ok := l.duration(at["stop_timeout"]); ok {
		d.StopTimeout = v
	}
	if v, ok := l.str(at["on_failure"]); ok {
		if v != string(OnFailureStop) && v != string(OnFailureRollback) {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid on_failure",
				Detail: `on_failure is "stop" (the default) or "rollback".`, Subject: at["on_failure"].Expr.Range().Ptr()})
		} else {
			d.OnFailure = OnFailure(v)
		}
	}
	if v, ok := l.duration(at["readiness_delay"]); ok {
		d.ReadinessDelay = v
	}
	if v, ok := l.duration(at["barrier_timeout"]); ok {
		d.BarrierTimeout = v
	}
	if v, ok := l.duration(at["hook_timeout"]); ok {
		d.HookTimeout = v
	}
	rolling := l.single(content.Blocks)
	if len(rolling) == 1 {
		rc, diags := rolling[0].Body.Content(rollingSchema)
		l.diags = append(l.diags, diags...)
		if v, ok := l.integer(rc.Attributes["batch"], 1, 1000); ok {
			d.Batch = v
		}
	}
	return at["version"]
}
