package kamal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-sh/berth/internal/golden"
	"github.com/berth-sh/berth/lang"
	"go.yaml.in/yaml/v3"
)

// importCases are the test configurations: every key the import knows,
// in the list and the role form, with and without a destination.
var importCases = []struct {
	name, file, destination string
	unmapped                []string // keys the report must name
	warnings                []string
}{
	{name: "list", file: "testdata/list/config/deploy.yml"},
	{name: "full", file: "testdata/full/config/deploy.yml",
		unmapped: []string{"asset_path", "hooks_path", "minimum_version", "accessories.db.files", "builder.cache",
			"servers.cron.asset_path", "servers.web.options.gpus", "env.tags.edge", "aliases.whoami", "boot.wait", "ssh.log_level"},
		warnings: []string{`<%= ENV["APP_HOST"] %>`, "aliases.logs", "builder.arch", "accessories.redis.image", "x-common-labels"}},
	{name: "full-staging", file: "testdata/full/config/deploy.yml", destination: "staging",
		unmapped: []string{"accessories.db.files"}},
	{name: "lab", file: "testdata/lab/config/deploy.yml"},
}

func TestImportValidatesAndIsFormatted(t *testing.T) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			// berth.hcl goes into the app's root, next to config/, as
			// berth import kamal writes it there by default.
			res, err := Import(Options{File: tc.file, Destination: tc.destination, Reserved: []string{"logs", "status"},
				Out: filepath.Dir(filepath.Dir(tc.file))})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := lang.Format(res.HCL, "berth.hcl"); !bytes.Equal(got, res.HCL) {
				t.Errorf("the output is not fmt-clean:\n%s", res.HCL)
			}
			// The app's folder (its Dockerfile, error pages) in a git
			// checkout, with berth.hcl.
			dir := gitDir(t)
			if err := os.CopyFS(dir, os.DirFS(filepath.Dir(filepath.Dir(tc.file)))); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), res.HCL, 0o644); err != nil {
				t.Fatal(err)
			}
			lr := lang.Load(context.Background(), lang.Options{Dir: dir, Validate: true})
			if lr.Diags.HasErrors() {
				var b strings.Builder
				_ = lang.WriteDiagnostics(&b, lr.Files, lr.Diags, 100, false)
				t.Fatalf("the output does not validate:\n%s\n%s", b.String(), res.HCL)
			}
			if lr.Config.Service.Takeover == nil || lr.Config.Service.Takeover.From != "kamal" {
				t.Errorf("no takeover block: %+v", lr.Config.Service)
			}
			checkNamed(t, "unmapped", res.Unmapped, tc.unmapped, string(res.HCL))
			checkNamed(t, "warnings", res.Warnings, tc.warnings, "")
			var report bytes.Buffer
			res.WriteReport(&report)
			golden.Check(t, tc.name, string(res.HCL)+"\n---- report\n"+report.String())
		})
	}
}

// checkNamed fails unless every key is in notes, and, with hcl, in a
// comment of the output too.
func checkNamed(t *testing.T, what string, notes []Note, keys []string, hcl string) {
	t.Helper()
	for _, k := range keys {
		found := false
		for _, n := range notes {
			found = found || n.Key == k
		}
		if !found {
			t.Errorf("%s: %s not named in %+v", what, k, notes)
		}
		if hcl != "" && !strings.Contains(hcl, "# kamal: "+k+" (") {
			t.Errorf("%s: no comment for %s in the output", what, k)
		}
	}
}

func TestImportDestinationMerges(t *testing.T) {
	res, err := Import(Options{File: "testdata/full/config/deploy.yml", Destination: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.HCL)
	for _, want := range []string{`address = "10.1.0.11"`, `RAILS_ENV       = "staging"`, `retain          = 2`,
		`hosts       = ["staging.shop.example.com"]`, `destination = "staging"`, `cmd   = ["bin/jobs"]`, `team = "checkout"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "10.0.0.11") {
		t.Errorf("a list of the overlay does not replace the base's:\n%s", out)
	}
	if len(res.Files) != 2 || res.Files[1] != "testdata/full/config/deploy.staging.yml" {
		t.Errorf("files %v", res.Files)
	}
}

func TestImportRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tc := range map[string]struct{ file, dest, want string }{
		"missing file":        {file: filepath.Join(dir, "none.yml"), want: "no such file"},
		"not yaml":            {file: write("bad.yml", "service: [\n"), want: "bad.yml"},
		"no service":          {file: write("nosvc.yml", "image: a/b\n"), want: "no service"},
		"no image":            {file: write("noimg.yml", "service: a\n"), want: "no image"},
		"a list":              {file: write("list.yml", "- a\n"), want: "a mapping"},
		"missing destination": {file: write("deploy.yml", "service: a\nimage: a/b\n"), dest: "prod", want: "deploy.prod.yml"},
		"billion laughs": {file: write("laughs.yml", "service: a\nimage: a/b\nx-a: &a [x, x, x, x, x, x, x, x, x, x]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"+
			"x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nx-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nx-f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"),
			want: "more than 100000 values"},
	} {
		_, err := Import(Options{File: tc.file, Destination: tc.dest})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrConfig with %q", name, err, tc.want)
		}
	}
}

func TestShellWords(t *testing.T) {
	for in, want := range map[string]string{
		`bin/jobs --queue "a b"`: `bin/jobs|--queue|a b`,
		`sh -c 'echo $HOME'`:     `sh|-c|echo $HOME`,
		`a\ b c`:                 `a b|c`,
		`echo $HOME`:             ``,
		`a | b`:                  ``,
		`"open`:                  ``,
		`bin/rails db:migrate#x`: `bin/rails|db:migrate#x`,
		`"say \"hi\""`:           `say "hi"`,
		`echo "$(cat /etc/x)"`:   ``,
		"bin/thrust ./bin/rails": `bin/thrust|./bin/rails`,
	} {
		w, ok := shellWords(in)
		if got := strings.Join(w, "|"); ok != (want != "") || got != want && ok {
			t.Errorf("shellWords(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestDeepMergeReplacesLists(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "deploy.yml")
	_ = os.WriteFile(base, []byte("service: a\nimage: a/b\nservers: [10.0.0.1, 10.0.0.2]\nenv: {clear: {A: '1', B: '2'}}\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "deploy.p.yml"), []byte("servers: [10.0.0.3]\nenv: {clear: {B: '3'}}\n"), 0o644)
	res, err := Import(Options{File: base, Destination: "p"})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.HCL)
	if strings.Contains(out, "10.0.0.1") || !strings.Contains(out, "10.0.0.3") || !strings.Contains(out, `A = "1"`) || !strings.Contains(out, `B = "3"`) {
		t.Errorf("not merged the way Kamal merges:\n%s", out)
	}
}

// gitDir is a temporary directory in a git repository with a commit: the
// version of a configuration without one is git HEAD, as with Kamal.
func gitDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("git %v: %v: %s", args, err, out)
		}
	}
	return dir
}

func TestImportERBSecretIsASensitiveVariable(t *testing.T) {
	dir := gitDir(t)
	p := filepath.Join(dir, "deploy.yml")
	yml := "service: a\nimage: a/b\nservers: [10.0.0.1]\nregistry:\n  server: r.example\n  username: u\n  password: <%= `op read op://x/y` %>\n"
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import(Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.HCL)
	if !strings.Contains(out, "password = var.erb_1") || !strings.Contains(out, "sensitive = true") {
		t.Errorf("an ERB password is not a sensitive variable:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), res.HCL, 0o644); err != nil {
		t.Fatal(err)
	}
	if lr := lang.Load(context.Background(), lang.Options{Dir: dir, Validate: true}); lr.Diags.HasErrors() {
		t.Errorf("does not validate: %s", lr.Diags.Error())
	}
}

// importText imports a deploy.yml of text, failing the test on an error.
func importText(t *testing.T, text string) *Result {
	t.Helper()
	p := filepath.Join(t.TempDir(), "deploy.yml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Import(Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestImportTextLikeERBMarkersIsText(t *testing.T) {
	res := importText(t, "service: a\nimage: a/b\nservers: [10.0.0.1]\n"+
		"env: {A: x__BERTH_ERB_99__y, B: __BERTH_ERB_0__, C: '<%= ENV[\"X\"] %>\"'}\n")
	out := string(res.HCL)
	for _, want := range []string{`A = "x__BERTH_ERB_99__y"`, `B = "__BERTH_ERB_0__"`, `C = "${var.x}\""`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
}

func TestRubyScalar(t *testing.T) {
	for in, want := range map[string]string{
		"0x1F": "31", "0o17": "0o17", "0b101": "5", "+1": "1", "1_000": "1000", "1,000": "1000", "017": "15", "09": "09",
		".inf": "Infinity", "-.inf": "-Infinity", ".NaN": "NaN", "1.": "1.0", "1.5": "1.5", "1e3": "1e3", "1.0e+3": "1000.0",
		"1.0e+16": "1.0e+16", "0.00001": "1.0e-05", "0.0001": "0.0001", "yes": "true", "Off": "false", "~": "", "null": "",
		"1:30": "5400", "1:00:00": "3600", ":sym": "sym", "2024-1-5": "2024-01-05", "2024-02-31": "2024-02-31", "web": "web",
		"123456789012345678901234567890": "123456789012345678901234567890", "-0x10": "-16", "0": "0", "-0.0": "-0.0",
	} {
		if got, _ := rubyScalar(&yaml.Node{Kind: yaml.ScalarNode, Value: in}); got != want {
			t.Errorf("rubyScalar(%q) = %q, want %q", in, got, want)
		}
	}
	if got, k := rubyScalar(&yaml.Node{Kind: yaml.ScalarNode, Value: "0x1F", Style: yaml.DoubleQuotedStyle}); got != "0x1F" || k != rubyString {
		t.Errorf("a quoted scalar is %q, %v", got, k)
	}
}

func TestImportMergeKeyEarlierWins(t *testing.T) {
	res := importText(t, "service: a\nimage: a/b\nservers: [10.0.0.1]\nx-a: &a {A: a, B: a}\nx-b: &b {A: b, C: b}\n"+
		"env: {<<: [*a, *b], B: own}\n")
	out := string(res.HCL)
	for _, want := range []string{`A = "a"`, `B = "own"`, `C = "b"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
}

func TestImportReportsTheLineThatWon(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "deploy.yml")
	over := filepath.Join(dir, "deploy.p.yml")
	_ = os.WriteFile(base, []byte("service: a\nimage: a/b\nservers:\n  web:\n    hosts: [10.0.0.1]\n    proxy:\n      ssl: auto\n"+
		"proxy:\n  host: a.example.com\n  ssl: true\ndrain_timeout: 30\n"), 0o644)
	_ = os.WriteFile(over, []byte("drain_timeout: soon\n"), 0o644)
	res, err := Import(Options{File: base, Destination: "p"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"drain_timeout": over + ":1", "proxy.ssl": base + ":7"}
	for _, n := range res.Unmapped {
		if at, ok := want[n.Key]; ok {
			if n.At != at {
				t.Errorf("%s reported at %s, want %s", n.Key, n.At, at)
			}
			delete(want, n.Key)
		}
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v in %+v", want, res.Unmapped)
	}
}

// Kamal's dockerfile is relative to the app's root (docker --file, run
// there), berth's to the context: one inside the context is rewritten,
// one outside it is a warning.
func TestImportDockerfileRelativeToTheContext(t *testing.T) {
	base := "service: a\nimage: a/b\nservers: [10.0.0.1]\n"
	for _, c := range []struct{ builder, want, warn string }{
		{"{context: app, dockerfile: app/Dockerfile.prod}", `dockerfile = "Dockerfile.prod"`, ""},
		{"{context: ., dockerfile: docker/Dockerfile}", `dockerfile = "docker/Dockerfile"`, ""},
		{"{dockerfile: Dockerfile}", "", ""},
		{"{context: app, dockerfile: Dockerfile.prod}", "", "Kamal builds with Dockerfile.prod of the app's root, outside the context app"},
		{"{context: app}", "", "Kamal builds with Dockerfile of the app's root, outside the context app"},
	} {
		res := importText(t, base+"builder: "+c.builder+"\n")
		out := string(res.HCL)
		if c.want != "" && !strings.Contains(out, c.want) || c.want == "" && strings.Contains(out, "dockerfile =") {
			t.Errorf("builder %s: want %q in\n%s", c.builder, c.want, out)
		}
		var warned string
		for _, w := range res.Warnings {
			warned += w.Message + "\n"
		}
		if c.warn != "" && !strings.Contains(warned, c.warn) || c.warn == "" && strings.Contains(warned, "Dockerfile") {
			t.Errorf("builder %s: warnings %q, want %q", c.builder, warned, c.warn)
		}
	}
}
