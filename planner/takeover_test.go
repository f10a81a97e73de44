package planner

import (
	"testing"

	"github.com/berth-sh/berth/lang"
)

func TestRouteNameIsKamalsForATakeoverOfADestination(t *testing.T) {
	for _, tc := range []struct {
		takeover *lang.Takeover
		want     string
	}{
		{nil, "shop-web"},
		{&lang.Takeover{From: "kamal", Service: "shop"}, "shop-web"},
		{&lang.Takeover{From: "kamal", Service: "shop", Destination: "staging"}, "shop-web-staging"},
	} {
		cfg := &lang.Config{Service: lang.Service{Name: "shop", Takeover: tc.takeover}}
		if got := RouteName(cfg, "web"); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.takeover, got, tc.want)
		}
	}
}

func TestTakeoverReasonsNameEachRunningContainer(t *testing.T) {
	kamal := Container{Name: "shop-web-abc", Role: "web", State: "running", Takeover: TakeoverKamal}
	old := Container{Name: "shop-web-old", Role: "web", State: "exited", Takeover: TakeoverKamal}
	changes := []Change{
		{Action: ActionReplace, Running: &kamal, Others: []Container{old}},
		{Action: ActionUnchanged, Running: &Container{Name: "shop-web-v2", State: "running"}, Others: []Container{kamal}},
	}
	takeoverReasons(changes)
	if len(changes[0].Reasons) != 1 || changes[0].Reasons[0].Old != "shop-web-abc (kamal's)" {
		t.Errorf("replace: %+v", changes[0].Reasons)
	}
	if len(changes[1].Reasons) != 0 {
		t.Errorf("an unchanged change takes nothing over: %+v", changes[1].Reasons)
	}
	if !TakenOver(old) || TakenOver(Container{}) {
		t.Error("TakenOver")
	}
}
