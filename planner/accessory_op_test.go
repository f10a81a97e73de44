package planner

import (
	"errors"
	"testing"

	"github.com/berth-sh/berth/lang"
)

func TestAccessoryOpChanges(t *testing.T) {
	addr := Address{Host: "h3", Accessory: "db"}
	desired := &ContainerSpec{Name: "shop-db", Labels: map[string]string{LabelVersion: "15"}, ConfigHash: "sha256:a"}
	running := Container{ID: "c1", Name: "shop-db", Version: "15", ConfigHash: "sha256:a", State: "running"}
	stopped := running
	stopped.State = "exited"
	up := Change{Address: addr, Action: ActionUnchanged, Running: &running, Desired: desired}
	down := Change{Address: addr, Action: ActionReplace, Others: []Container{stopped}, Desired: desired,
		Reasons: []Reason{{Field: "state", Old: "exited", New: "running"}}}
	for _, tc := range []struct {
		op     string
		in     Change
		action Action
	}{
		{OpAccessoryStop, up, ActionStop},
		{OpAccessoryStop, down, ActionUnchanged},
		{OpAccessoryStart, up, ActionUnchanged},
		{OpAccessoryStart, down, ActionReplace},
		{OpAccessoryRestart, up, ActionRestart},
		{OpAccessoryRestart, down, ActionReplace},
	} {
		got := accessoryChange(tc.in, &AccessoryOp{Op: tc.op, Name: "db"})
		if got.Action != tc.action {
			t.Errorf("%s of a %s accessory: %s, want %s", tc.op, tc.in.Action, got.Action, tc.action)
		}
		if got.Action == ActionStop && (got.Running == nil || got.Running.ID != "c1" || got.Stop != tc.in.Stop) {
			t.Errorf("stop: %+v", got)
		}
	}
	if !down.StartsStopped() || up.StartsStopped() {
		t.Errorf("StartsStopped: stopped %v, running %v", down.StartsStopped(), up.StartsStopped())
	}
	cfg := &lang.Config{Accessories: []lang.Accessory{{Name: "db"}}}
	if _, err := accessoryChanges(cfg, nil, &AccessoryOp{Op: OpAccessoryStop, Name: "nope"}); !errors.Is(err, ErrNotAnAccessory) {
		t.Errorf("unknown accessory: %v", err)
	}
}

func TestAccessoryOpGraph(t *testing.T) {
	addr := Address{Host: "h3", Accessory: "db"}
	c := Change{Address: addr, Action: ActionRestart, Running: &Container{ID: "c1"}}
	steps := changeSteps(c, 0, nil)
	if len(steps) != 3 || steps[0].Kind != StepStopOld || steps[1].Kind != StepStart || steps[2].Kind != StepHealth || finalStep(c) != steps[2].ID {
		t.Errorf("restart steps: %+v", steps)
	}
	c.Action = ActionStop
	if steps := changeSteps(c, 0, nil); len(steps) != 1 || steps[0].Kind != StepStopOld || finalStep(c) != steps[0].ID {
		t.Errorf("stop steps: %+v", steps)
	}
}
