// Package imageref is berth's one image reference type. It parses with
// github.com/distribution/reference (Docker's own grammar) and keeps the
// reference as the user wrote it: "nginx:1" stays "nginx:1", never
// "docker.io/library/nginx:1", because the spelling is part of what a
// container was created from. It splits a reference into repository, tag
// and digest, and names the registry and path a registry client asks for.
package imageref

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// ErrInvalid is matched by every parse error.
var ErrInvalid = errors.New("invalid image reference")

// Ref is an image reference "[domain/]path[:tag][@digest]", as written.
type Ref struct {
	Repository string // domain and path as written: "10.77.0.1:5000/app", "nginx"
	Tag        string // "" when absent
	Digest     string // "sha256:<64 hex>", "" when absent
}

// Parse parses and validates s.
func Parse(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("%w: it is empty", ErrInvalid)
	}
	parsed, err := reference.Parse(s)
	if err != nil {
		return Ref{}, fmt.Errorf("%w: %q: %s", ErrInvalid, s, explain(s, err))
	}
	named, ok := parsed.(reference.Named)
	if !ok {
		return Ref{}, fmt.Errorf("%w: %q has no repository", ErrInvalid, s)
	}
	var r Ref
	r.Repository = named.Name()
	if t, ok := parsed.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := parsed.(reference.Digested); ok {
		if d.Digest().Algorithm() != digest.SHA256 {
			return Ref{}, fmt.Errorf("%w: %q: the digest is not sha256:<64 hex digits>", ErrInvalid, s)
		}
		r.Digest = d.Digest().String()
	}
	if dom := reference.Domain(named); dom != "" {
		if _, port, found := strings.Cut(dom, ":"); found {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return Ref{}, fmt.Errorf("%w: %q: the registry port %s is not a TCP port", ErrInvalid, s, port)
			}
		}
	}
	return r, nil
}

// explain turns reference's errors into a sentence for the user.
func explain(s string, err error) string {
	name, dig, hasDigest := strings.Cut(s, "@")
	if hasDigest && !ValidDigest(dig) {
		return "the digest is not sha256:<64 hex digits>"
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		if _, err := reference.Parse(name[:i]); err == nil {
			return "the tag is not valid (letters, digits, '_', '.' and '-', at most 128)"
		}
	}
	switch {
	case errors.Is(err, reference.ErrNameContainsUppercase):
		return "the repository must be lowercase"
	case errors.Is(err, reference.ErrTagInvalidFormat):
		return "the tag is not valid (letters, digits, '_', '.' and '-', at most 128)"
	case errors.Is(err, reference.ErrDigestInvalidFormat), errors.Is(err, digest.ErrDigestInvalidLength),
		errors.Is(err, digest.ErrDigestInvalidFormat), errors.Is(err, digest.ErrDigestUnsupported):
		return "the digest is not sha256:<64 hex digits>"
	case errors.Is(err, reference.ErrNameTooLong):
		return "the repository name is longer than 255 characters"
	case errors.Is(err, reference.ErrNameEmpty):
		return "the repository name is empty"
	}
	return "not [registry/]repository[:tag][@sha256:digest] (lowercase letters, digits and separators)"
}

// Split splits a reference that Docker or berth itself wrote (a container's
// image, a repo tag). It never fails: a digest it cannot check is kept as
// written, and a string that does not parse at all (an image ID, say) is
// all repository.
func Split(s string) Ref {
	if strings.HasPrefix(s, "sha256:") {
		return Ref{Repository: s} // an image ID
	}
	if r, err := Parse(s); err == nil {
		return r
	}
	name, dig, found := strings.Cut(s, "@")
	r, err := Parse(name)
	if err != nil {
		return Ref{Repository: s}
	}
	if found {
		r.Digest = dig
	}
	return r
}

// String is the reference as "repository[:tag][@digest]".
func (r Ref) String() string {
	s := r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Named is the reference without its digest: "repository[:tag]".
func (r Ref) Named() string { return Ref{Repository: r.Repository, Tag: r.Tag}.String() }

// TagOrLatest is the tag, or "latest", which is what Docker pulls without one.
func (r Ref) TagOrLatest() string {
	if r.Tag == "" {
		return "latest"
	}
	return r.Tag
}

// WithDigest is r pinned to d.
func (r Ref) WithDigest(d string) Ref { r.Digest = d; return r }

// WithTag is r with tag t ("latest" when t is "").
func (r Ref) WithTag(t string) Ref { r.Tag = Ref{Tag: t}.TagOrLatest(); return r }

// Registry is the registry host a client talks to ("docker.io" for Docker
// Hub) and Path the repository's path in it ("library/nginx").
func (r Ref) Registry() (host, path string) {
	n, err := reference.ParseNormalizedNamed(r.Repository)
	if err != nil {
		return "", r.Repository
	}
	return reference.Domain(n), reference.Path(n)
}

// ValidDigest reports whether d is "sha256:<64 lowercase hex digits>".
func ValidDigest(d string) bool {
	p, err := digest.Parse(d)
	return err == nil && p.Algorithm() == digest.SHA256
}
