package kamal

import (
	"crypto/rand"
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

// erbTable collects the ERB of every file read, numbered in order. Each
// ERB is a marker in the YAML text, __BERTH_ERB_TOKEN_N__, where TOKEN is
// random for each table: no text of the user's can be taken for one.
type erbTable struct {
	list   []*erb
	byVar  map[string]*erb
	code   []string // <% … %> blocks that were dropped, with where they were
	prefix string   // "__BERTH_ERB_TOKEN_"
	marker *regexp.Regexp
}

// newERBTable is an empty table with a marker of its own.
func newERBTable() *erbTable {
	prefix := "__BERTH_ERB_" + strings.ToLower(rand.Text()) + "_"
	return &erbTable{prefix: prefix, marker: regexp.MustCompile(regexp.QuoteMeta(prefix) + `([0-9]+)__`)}
}

var (
	erbTag     = regexp.MustCompile(`(?s)<%(=|#|-)?(.*?)-?%>`)
	erbEnv     = regexp.MustCompile(`^ENV\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]$`)
	erbFetch   = regexp.MustCompile(`^ENV\.fetch\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*(?:,\s*["']([^"']*)["']\s*)?\)$`)
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
			fmt.Fprintf(&out, "%s%d__", t.prefix, t.add(code, at))
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

// lookup returns the ERB a marker stands for; nil when marker holds none.
func (t *erbTable) lookup(marker string) *erb {
	if t.marker == nil {
		return nil
	}
	m := t.marker.FindStringSubmatch(marker)
	if m == nil {
		return nil
	}
	i, err := strconv.Atoi(m[1])
	if err != nil || i < 0 || i >= len(t.list) {
		return nil
	}
	return t.list[i]
}

// restore writes a string with its markers back as the ERB they were,
// for comments.
func (t *erbTable) restore(s string) string {
	if t.marker == nil {
		return s
	}
	return t.marker.ReplaceAllStringFunc(s, func(m string) string {
		if e := t.lookup(m); e != nil {
			return "<%= " + e.code + " %>"
		}
		return m
	})
}

// has reports whether s holds a marker.
func (t *erbTable) has(s string) bool { return t.marker != nil && t.marker.MatchString(s) }

// restoreName is s with each marker as its variable's name, for names
// made from values.
func (t *erbTable) restoreName(s string) string {
	if t.marker == nil {
		return s
	}
	return t.marker.ReplaceAllStringFunc(s, func(m string) string {
		if e := t.lookup(m); e != nil {
			return e.varName
		}
		return m
	})
}
