package kamal

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// erb is one `<%= … %>` of the configuration: it cannot be evaluated
// outside Ruby, so it becomes a variable to fill in.
type erb struct {
	code    string // the Ruby expression, as written
	at      string // "config/deploy.yml:12"
	env     string // NAME when code is ENV["NAME"] or ENV.fetch("NAME"...), else ""
	def     string // the literal default of ENV.fetch("NAME", "default")
	hasDef  bool
	varName string
	// sensitive: it stands for a secret (registry.password), so its
	// variable is declared sensitive.
	sensitive bool
}

// erbTable collects the ERB of every file read, numbered in order.
type erbTable struct {
	list  []*erb
	byVar map[string]*erb
	code  []string // <% … %> blocks that were dropped, with where they were
}

var (
	erbTag     = regexp.MustCompile(`(?s)<%(=|#|-)?(.*?)-?%>`)
	erbEnv     = regexp.MustCompile(`^ENV\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]$`)
	erbFetch   = regexp.MustCompile(`^ENV\.fetch\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(?:,\s*["']([^"']*)["']\s*)?\)$`)
	erbMarker  = regexp.MustCompile(`__BERTH_ERB_([0-9]+)__`)
	notVarChar = regexp.MustCompile(`[^a-z0-9_]+`)
)

// extract replaces every <%= … %> of text with a marker the YAML parser
// keeps in its string, and drops <% … %> code and <%# … %> comments (with
// a note each: their lines may now need a hand).
func (t *erbTable) extract(file, text string) (string, error) {
	var out strings.Builder
	last := 0
	for _, m := range erbTag.FindAllStringSubmatchIndex(text, -1) {
		out.WriteString(text[last:m[0]])
		last = m[1]
		line := 1 + strings.Count(text[:m[0]], "\n")
		at := file + ":" + strconv.Itoa(line)
		kind, code := "", strings.TrimSpace(text[m[4]:m[5]])
		if m[2] >= 0 {
			kind = text[m[2]:m[3]]
		}
		switch kind {
		case "=":
			fmt.Fprintf(&out, "__BERTH_ERB_%d__", t.add(code, at))
		case "#":
		default:
			t.code = append(t.code, at+": <% "+code+" %>")
		}
	}
	out.WriteString(text[last:])
	return out.String(), nil
}

func (t *erbTable) add(code, at string) int {
	e := &erb{code: code, at: at}
	if m := erbEnv.FindStringSubmatch(code); m != nil {
		e.env = m[1]
	} else if m := erbFetch.FindStringSubmatch(code); m != nil {
		e.env, e.def, e.hasDef = m[1], m[2], strings.Contains(code, ",")
	}
	if t.byVar == nil {
		t.byVar = map[string]*erb{}
	}
	name := "erb_" + strconv.Itoa(len(t.list)+1)
	if e.env != "" {
		name = strings.Trim(notVarChar.ReplaceAllString(strings.ToLower(e.env), "_"), "_")
	}
	for prev, ok := t.byVar[name]; ok; prev, ok = t.byVar[name] {
		if prev.code == code {
			break
		}
		name += "_" + strconv.Itoa(len(t.list)+1)
	}
	e.varName = name
	if _, ok := t.byVar[name]; !ok {
		t.byVar[name] = e
	}
	t.list = append(t.list, e)
	return len(t.list) - 1
}

// lookup returns the ERB a marker stands for.
func (t *erbTable) lookup(marker string) *erb {
	m := erbMarker.FindStringSubmatch(marker)
	if m == nil {
		return nil
	}
	i, err := strconv.Atoi(m[1])
	if err != nil || i >= len(t.list) {
		return nil
	}
	return t.list[i]
}

// restore writes a string with its markers back as the ERB they were,
// for comments.
func (t *erbTable) restore(s string) string {
	return erbMarker.ReplaceAllStringFunc(s, func(m string) string {
		if e := t.lookup(m); e != nil {
			return "<%= " + e.code + " %>"
		}
		return m
	})
}

// hasERB reports whether s holds a marker.
func hasERB(s string) bool { return erbMarker.MatchString(s) }

// restoreName is s with each marker as its variable's name, for names
// made from values.
func (t *erbTable) restoreName(s string) string {
	return erbMarker.ReplaceAllStringFunc(s, func(m string) string {
		if e := t.lookup(m); e != nil {
			return e.varName
		}
		return m
	})
}
