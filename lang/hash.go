package lang

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
)

// variables returns the final variable values for a plan, sorted by name;
// sensitive ones carry only a salted hash.
func (l *loader) variables(vars []*variable, salt string) []Variable {
	out := make([]Variable, 0, len(vars))
	for _, v := range vars {
		rendered := renderValue(v.value)
		if v.sensitive {
			out = append(out, Variable{Name: v.name, Sensitive: true, Hash: NewSecret("var."+v.name, rendered).Hash(salt)})
			continue
		}
		out = append(out, Variable{Name: v.name, Value: rendered})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// hash is "sha256:<hex>" over the files (base name and contents), every
// variable's final value (sensitive ones by hash) and every env() value
// read (by hash).
func (l *loader) hash(cfg *Config) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	for _, f := range l.files {
		b := l.source(f)
		if b == nil {
			b, _ = os.ReadFile(f)
		}
		name, err := filepath.Rel(l.opts.Dir, f)
		if err != nil {
			name = filepath.Base(f)
		}
		write("file", name, string(b))
	}
	if cfg.Destination != "" {
		write("destination", cfg.Destination)
	}
	for _, v := range cfg.Variables {
		write("var", v.Name, v.Value, v.Hash)
	}
	names := make([]string, 0, len(l.envReads))
	for n := range l.envReads {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		write("env", n, NewSecret("", l.envReads[n]).Hash(cfg.Service.Name))
	}
	l.hashSecretSources(write, cfg.Service.Name)
	for _, ef := range l.envFiles {
		write("env_file", ef.path)
		for _, k := range sortedNames(ef.vars) {
			write(k, NewSecret("", ef.vars[k]).Hash(cfg.Service.Name))
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// hashSecretSources writes what secret_cmd and secrets_file read, by hash,
// so that a changed secret changes the configuration's hash as env() does.
func (l *loader) hashSecretSources(write func(...string), salt string) {
	keys := make([]string, 0, len(l.cmdRuns))
	for k := range l.cmdRuns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		write("secret_cmd", k, NewSecret("", l.cmdRuns[k].value).Hash(salt))
	}
	for _, sf := range l.secretFiles {
		write("secrets_file", sf.path)
		for _, k := range sortedNames(sf.vars) {
			write(k, NewSecret("", sf.vars[k]).Hash(salt))
		}
	}
}
