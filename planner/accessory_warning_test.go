package planner

import (
	"strings"
	"testing"
)

func TestWarningsNameAReplacedAccessory(t *testing.T) {
	running := &Container{Name: "shop-cache", State: "running"}
	p := &Plan{Changes: []Change{
		{Address: Address{Host: "h3", Accessory: "cache"}, Action: ActionReplace, Running: running},
		{Address: Address{Host: "h3", Accessory: "db"}, Action: ActionUnchanged, Running: running},
	}}
	ws := p.Warnings()
	if len(ws) != 1 || !strings.HasPrefix(ws[0].Message, "h3/accessory.cache: the accessory's own configuration changed, so its container shop-cache is replaced") ||
		ws[0].Kind != WarnAccessoryReplace || ws[0].Address == nil || ws[0].Address.String() != "h3/accessory.cache" {
		t.Errorf("warnings = %+v", ws)
	}
}
