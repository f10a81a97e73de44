package lang

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// secretsFile is one file secrets_file read, for the configuration's hash.
type secretsFile struct {
	path string // as written
	vars map[string]string
}

// secretsFileFunc returns secrets_file(path): the variables of a dotenv
// file as a map of sensitive strings. The path is relative to the
// configuration directory ("~/" is the home directory). A value is never
// run: `$(...)` or a backquote outside single quotes is an error that
// points to secret_cmd. In validate mode a missing file is an unknown map.
func (l *loader) secretsFileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "The variables of a dotenv file, as a map of sensitive strings.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Map(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			p := expandHome(name, l.env["HOME"])
			if !filepath.IsAbs(p) {
				p = filepath.Join(l.opts.Dir, p)
			}
			src, err := readLimited(p)
			if err != nil {
				if l.opts.Validate && errors.Is(err, os.ErrNotExist) {
					return cty.UnknownVal(cty.Map(cty.String)).Mark(sensitive), nil
				}
				return cty.NilVal, fmt.Errorf("cannot read the secrets file: %w", err)
			}
			vars, err := parseDotenv(src)
			if err == nil {
				err = noSubstitution(src)
			}
			if err != nil {
				return cty.NilVal, fmt.Errorf("%s: %w", name, err)
			}
			l.secretFiles = append(l.secretFiles, secretsFile{path: name, vars: vars})
			if len(vars) == 0 {
				return cty.MapValEmpty(cty.String).Mark(sensitive), nil
			}
			m := make(map[string]cty.Value, len(vars))
			for k, v := range vars {
				m[k] = cty.StringVal(v)
				l.secrets = append(l.secrets, v)
			}
			return cty.MapVal(m).Mark(sensitive), nil
		},
	})
}

// noSubstitution refuses a value that a shell, or Kamal's .kamal/secrets,
// would run as a command: `$(...)` or a backquote, unless the value is in
// single quotes. berth runs no command from a file; secret_cmd runs one
// without a shell. The error names the line and the key, never the value.
func noSubstitution(src []byte) error {
	for n, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		val = strings.TrimSpace(val)
		if strings.HasPrefix(val, "'") {
			continue
		}
		if strings.Contains(val, "$(") || strings.Contains(val, "`") {
			return fmt.Errorf("line %d (%s) is a command substitution, which berth does not run: "+
				"read the secret with secret_cmd([\"op\", \"read\", \"...\"]) in the configuration instead, "+
				"or put a value that holds $( or ` in single quotes", n+1, strings.TrimSpace(key))
		}
	}
	return nil
}
