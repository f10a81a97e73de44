package lang

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Options says where the configuration is and where variable values come from.
type Options struct {
	// Dir is the configuration directory; every *.hcl file in it is read.
	// Diagnostic filenames are relative to it as given ("berth.hcl" for ".").
	Dir string
	// Vars are "name=value" pairs from --var, in order; the last one wins.
	Vars []string
	// VarFiles are HCL files of "name = value" attributes, from --var-file.
	VarFiles []string
	// Environ is the environment in os.Environ() form: BERTH_VAR_<name>
	// variables and the values env() reads. Nothing reads os.Getenv.
	Environ []string
	// Validate loads for `berth validate`: a variable with no value and an
	// env() of an unset variable are unknown instead of errors, and checks
	// that need their value are skipped.
	Validate bool
	// Destination selects the override files laid over the base
	// configuration (--destination); "" = the base alone.
	Destination string
	// SecretCommand runs the commands of secret_cmd; nil = ExecSecretCommand.
	SecretCommand RunSecretCommand
	// Parsed are files parsed before without an error (LoadAliases'), by
	// path: one whose bytes are still the same is not parsed again (a
	// 10,000-host configuration takes a second to parse).
	Parsed map[string]*hcl.File
}

// Result is what Load returns. Files holds every parsed file, keyed by the
// filename its diagnostics carry, for WriteDiagnostics.
type Result struct {
	Config *Config // nil when Diags.HasErrors()
	Files  map[string]*hcl.File
	Diags  hcl.Diagnostics
}

// InternalErrorSummary is the summary of the diagnostic Load returns when
// it hits a bug instead of crashing.
const InternalErrorSummary = "Internal error"

// maxFileSize bounds every configuration, variable and file() read.
const maxFileSize = 4 << 20

// Load reads, evaluates and validates the configuration in opts.Dir. It
// never panics on bad input; every problem is a diagnostic in the result.
func Load(ctx context.Context, opts Options) (res *Result) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	l := newLoader(ctx, opts)
	defer func() {
		// A bug must not show the user a stack trace: report it as a
		// diagnostic instead (FuzzLoad fails on it).
		if r := recover(); r != nil {
			res = &Result{Files: l.parser.Files(), Diags: l.scrub(append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  InternalErrorSummary,
				Detail:   fmt.Sprintf("berth failed to load this configuration (%v). Please report it with the configuration that caused it.", r),
			}))}
		}
	}()
	cfg := l.load()
	diags := l.scrub(l.diags)
	res = &Result{Files: l.parser.Files(), Diags: diags}
	if !diags.HasErrors() {
		res.Config = cfg
	}
	return res
}

// loader holds the state of one Load.
type loader struct {
	// gitDir is where the git version comes from: the build context when
	// the service has a build block, else the configuration directory.
	gitDir string
	ctx    context.Context
	opts   Options
	parser *hclparse.Parser
	env    map[string]string
	diags  hcl.Diagnostics

	files  []string    // config file names as in diagnostics, sorted
	bodies []*hcl.File // the base files, parallel to the start of files
	// overrides are the destination's override files, after the base in
	// files; overrideLocals their locals blocks.
	overrides      []*hcl.File
	overrideLocals map[*hcl.Block]bool
	secrets        []string // values to scrub from diagnostics
	envReads       map[string]string
	cmdRuns        map[string]cmdResult // secret_cmd runs by argv, once per Load
	secretFiles    []secretsFile        // every secrets_file read, for the hash

	evalCtx       *hcl.EvalContext
	scope         scope
	primaryRanges map[string]hcl.Range
	serviceImage  *hcl.Attribute
	envFiles      []*envFile // every env_file read, for the hash
	deps          []depRef   // every depends_on reference, checked after the accessories
}

func newLoader(ctx context.Context, opts Options) *loader {
	env := map[string]string{}
	for _, kv := range opts.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return &loader{ctx: ctx, opts: opts, parser: hclparse.NewParser(), env: env, envReads: map[string]string{}, cmdRuns: map[string]cmdResult{}, overrideLocals: map[*hcl.Block]bool{}, primaryRanges: map[string]hcl.Range{}}
}

// readFiles parses every *.hcl file of the directory.
func (l *loader) readFiles() {
	entries, err := os.ReadDir(l.opts.Dir)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the configuration directory",
			Detail:   err.Error(),
		})
		return
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && isBaseFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(l.opts.Dir, n)
		f, diags := l.parseFile(path)
		l.diags = append(l.diags, diags...)
		if f != nil {
			l.files = append(l.files, path)
			l.bodies = append(l.bodies, f)
		}
	}
	if len(names) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   "The directory " + l.opts.Dir + " contains no *.hcl file.",
		})
		return
	}
	l.readOverrides()
}

// parseFile reads and parses one HCL file, refusing anything too large.
func (l *loader) parseFile(path string) (*hcl.File, hcl.Diagnostics) {
	src, err := readLimited(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read file",
			Detail:   err.Error(),
		}}
	}
	if pf := l.opts.Parsed[path]; pf != nil && pf.Body != nil && bytes.Equal(pf.Bytes, src) {
		l.parser.AddFile(path, pf)
		return pf, nil
	}
	f, diags := l.parser.ParseHCL(src, path)
	if f == nil || f.Body == nil {
		return nil, diags
	}
	return f, diags
}

// readLimited reads a regular file of at most maxFileSize bytes.
func readLimited(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: path, Err: errNotRegular}
	}
	if st.Size() > maxFileSize {
		return nil, &os.PathError{Op: "read", Path: path, Err: errTooLarge}
	}
	return os.ReadFile(path)
}

// scrub replaces every known secret value in diagnostic texts.
func (l *loader) scrub(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		for _, s := range l.secrets {
			if len(s) < 3 {
				continue
			}
			d.Summary = strings.ReplaceAll(d.Summary, s, "(sensitive)")
			d.Detail = strings.ReplaceAll(d.Detail, s, "(sensitive)")
		}
	}
	return diags
}
