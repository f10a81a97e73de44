package lang

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// gitTimeout bounds each git command run to find the version.
const gitTimeout = 10 * time.Second

// version finds the version: deploy.version, else var.version, else git HEAD.
func (l *loader) version(attr *hcl.Attribute, vars []*variable, blocks map[string][]*hcl.Block) Version {
	if attr != nil {
		s, ok := l.str(attr)
		if !ok || !l.checkTag(s, attr.Expr.Range()) {
			return Version{}
		}
		return Version{Full: s, Short: shortVersion(s, false), Source: "deploy.version"}
	}
	for _, v := range vars {
		if v.name != "version" {
			continue
		}
		if v.sensitive {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "sensitive value in a non-secret attribute",
				Detail: "The version variable is sensitive, but the version is printed in plans and container names.", Subject: v.block.DefRange.Ptr()})
			return Version{}
		}
		if !v.value.IsWhollyKnown() {
			return Version{}
		}
		s, err := convert.Convert(v.value, cty.String)
		rng := v.block.DefRange
		if v.valueRange != nil {
			rng = *v.valueRange
		}
		if err != nil || s.IsNull() {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid version",
				Detail: "The version variable must be a string.", Subject: &rng})
			return Version{}
		}
		if !l.checkTag(s.AsString(), rng) {
			return Version{}
		}
		return Version{Full: s.AsString(), Short: shortVersion(s.AsString(), false), Source: "var.version"}
	}
	dir := l.opts.Dir
	if l.gitDir != "" {
		dir = l.gitDir // a built image's version is its context's commit
	}
	full, err := gitVersion(l.ctx, dir, l.gitDir != "")
	if err != nil {
		subject := l.firstFileRange()
		if d := blocks["deploy"]; len(d) > 0 {
			subject = d[0].DefRange.Ptr()
		} else if s := blocks["service"]; len(s) > 0 {
			subject = s[0].DefRange.Ptr()
		}
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No version",
			Detail: fmt.Sprintf("Set deploy { version = ... } or a variable \"version\", or run berth in a git repository (%s).", err), Subject: subject})
		return Version{}
	}
	return Version{Full: full, Short: shortVersion(full, true), Source: "git"}
}

// checkTag reports a version that cannot be an image tag.
func (l *loader) checkTag(s string, rng hcl.Range) bool {
	if tagRe.MatchString(s) {
		return true
	}
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid version",
		Detail: fmt.Sprintf("The version is the image tag, so %q must be letters, digits, '_', '.' and '-', at most 128 characters, not starting with '.' or '-'.", s), Subject: &rng})
	return false
}

// gitVersion returns HEAD's short SHA, with "-dirty" when the tree has
// uncommitted changes (with onlyDir, changes below dir only).
func gitVersion(ctx context.Context, dir string, onlyDir bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short=7", "HEAD").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse HEAD: %w", err)
	}
	sha := strings.TrimSpace(string(out))
	args := []string{"-C", dir, "status", "--porcelain"}
	if onlyDir {
		args = append(args, "--", ".")
	}
	status, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return "", fmt.Errorf("git status: %w", err)
	}
	if len(strings.TrimSpace(string(status))) > 0 {
		sha += "-dirty"
	}
	return sha, nil
}
