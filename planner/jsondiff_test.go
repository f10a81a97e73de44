package planner

import "testing"

// firstDiff knows no field of the plan: a field added later is compared
// too, lists are matched by what identifies their elements, and empty
// values equal absent ones.
func TestFirstDiffIsGeneric(t *testing.T) {
	change := func(extra map[string]any) map[string]any {
		c := map[string]any{"address": map[string]any{"host": "h1", "role": "web"}, "action": "replace"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name         string
		file, now    any
		field, extra string
	}{
		{"a new field", map[string]any{"changes": []any{change(map[string]any{"stop": map[string]any{"signal": "SIGKILL"}})}},
			map[string]any{"changes": []any{change(map[string]any{"stop": map[string]any{"signal": "SIGTERM"}})}},
			"changes[h1/web].stop.signal", `"SIGKILL" in the file, "SIGTERM" re-derived`},
		{"empty equals absent", map[string]any{"a": []any{}, "b": map[string]any{}, "c": nil}, map[string]any{}, "", ""},
		{"a live container's health is ignored", map[string]any{"running": map[string]any{"id": "c1", "health": "healthy", "started_at": "t1"}},
			map[string]any{"running": map[string]any{"id": "c1", "health": "unhealthy", "started_at": "t2"}}, "", ""},
		{"a spec's health is compared", map[string]any{"desired": map[string]any{"health": map[string]any{"kind": "cmd"}}},
			map[string]any{"desired": map[string]any{"health": map[string]any{"kind": "auto"}}}, "desired.health.kind", `"cmd" in the file, "auto" re-derived`},
		{"created_at is ignored at the top only", map[string]any{"created_at": "1", "x": map[string]any{"created_at": "1"}},
			map[string]any{"created_at": "2", "x": map[string]any{"created_at": "2"}}, "x.created_at", `"1" in the file, "2" re-derived`},
		{"a type change", map[string]any{"ports": "80:8080"}, map[string]any{"ports": []any{"80:8080"}}, "ports", `"80:8080" in the file, ["80:8080"] re-derived`},
		{"lists without keys by index", map[string]any{"l": []any{map[string]any{"v": 1}}}, map[string]any{"l": []any{map[string]any{"v": 1}, map[string]any{"v": 2}}},
			"l[1]", notInFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := jsonTree(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			b, err := jsonTree(tt.now)
			if err != nil {
				t.Fatal(err)
			}
			field, detail, ok := firstDiff("", a, b)
			if ok != (tt.field != "") || field != tt.field || detail != tt.extra {
				t.Errorf("firstDiff = %q %q %v, want %q %q", field, detail, ok, tt.field, tt.extra)
			}
		})
	}
}
