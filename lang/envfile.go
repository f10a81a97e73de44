package lang

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// envFile is a decoded env_file attribute: the variables of a dotenv file
// next to the configuration, secret unless sensitive = false.
type envFile struct {
	path      string // as written, relative to the configuration directory
	sensitive bool
	vars      map[string]string
	expr      hcl.Expression
}

// decodeEnvFile reads `env_file = "app.env"` or
// `env_file = { path = "app.env", sensitive = false }`; nil when absent or
// after a diagnostic.
func (l *loader) decodeEnvFile(a *hcl.Attribute) *envFile {
	if a == nil {
		return nil
	}
	v, diags := l.eval(a.Expr)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return nil
	}
	if v.ContainsMarked() {
		l.diags = append(l.diags, sensitiveDiag(a.Expr, "env_file"))
		return nil
	}
	bad := func(detail string) *envFile {
		l.diags = append(l.diags, optionDiag("Invalid env_file", a.Expr, detail))
		return nil
	}
	ef := &envFile{sensitive: true, expr: a.Expr}
	switch t := v.Type(); {
	case t == cty.String:
		ef.path = v.AsString()
	case t.IsObjectType() || t.IsMapType():
		for k, e := range v.AsValueMap() {
			switch {
			case k == "path" && e.Type() == cty.String && !e.IsNull():
				ef.path = e.AsString()
			case k == "sensitive" && e.Type() == cty.Bool && !e.IsNull():
				ef.sensitive = e.True()
			default:
				return bad(fmt.Sprintf("Unknown or mistyped key %q: env_file is \"FILE\" or { path = \"FILE\", sensitive = false }.", k))
			}
		}
	default:
		return bad("env_file is \"FILE\" or { path = \"FILE\", sensitive = false }.")
	}
	if ef.path == "" || filepath.IsAbs(ef.path) {
		return bad(fmt.Sprintf("%q: the path of an env_file is relative to the configuration directory.", ef.path))
	}
	src, err := readLimited(filepath.Join(l.opts.Dir, ef.path))
	if err != nil {
		if l.opts.Validate && errors.Is(err, os.ErrNotExist) {
			return nil // validate checks the configuration, not the secrets beside it
		}
		return bad(fmt.Sprintf("Cannot read the env file: %s.", err))
	}
	vars, err := parseDotenv(src)
	if err != nil {
		return bad(fmt.Sprintf("%s: %s.", ef.path, err))
	}
	ef.vars = vars
	l.envFiles = append(l.envFiles, ef)
	if ef.sensitive {
		for _, val := range vars {
			l.secrets = append(l.secrets, val)
		}
	}
	return ef
}

// parseDotenv reads KEY=VALUE lines: blank lines and # comments are
// skipped, "export " is allowed, a value may be in single quotes (taken as
// it is) or double quotes (\n, \t, \" and \\ escapes). Errors never show
// a value.
func parseDotenv(src []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64<<10), maxFileSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !envNameRe.MatchString(key) {
			return nil, fmt.Errorf("line %d is not KEY=VALUE with a valid variable name", n)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d sets %s a second time", n, key)
		}
		v, err := dotenvValue(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("line %d (%s): %w", n, key, err)
		}
		out[key] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func dotenvValue(v string) (string, error) {
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return v[1 : len(v)-1], nil
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		s, err := strconv.Unquote(v)
		if err != nil {
			return "", errors.New("the double-quoted value has an invalid escape")
		}
		return s, nil
	case strings.HasPrefix(v, "'") || strings.HasPrefix(v, `"`):
		return "", errors.New("the quoted value is not closed on its line")
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}

// mergeEnvFile adds an env file's variables to the container's env (or
// secret_env, when the file is sensitive); a variable also set by env or
// secret_env is an error.
func (l *loader) mergeEnvFile(c *container, ef *envFile) {
	if ef == nil {
		return
	}
	for _, k := range sortedNames(ef.vars) {
		_, inEnv := c.Env[k]
		_, inSecret := c.SecretEnv[k]
		if inEnv || inSecret {
			l.diags = append(l.diags, optionDiag("Duplicate environment variable", ef.expr,
				fmt.Sprintf("%s is set both in %s and in env or secret_env.", k, ef.path)))
			continue
		}
		if ef.sensitive {
			if c.SecretEnv == nil {
				c.SecretEnv = map[string]Secret{}
			}
			c.SecretEnv[k] = NewSecret(fmt.Sprintf("env_file(%q)", ef.path), ef.vars[k])
			continue
		}
		if c.Env == nil {
			c.Env = map[string]string{}
		}
		c.Env[k] = ef.vars[k]
	}
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
