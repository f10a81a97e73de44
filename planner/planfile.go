package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Errors of ReadFile.
var (
	// ErrNotPlanFile: the file is not a berth plan file (not JSON, or no format_version).
	ErrNotPlanFile = errors.New("not a berth plan file")
	// ErrPlanVersion: the plan file's format version is not one this berth reads.
	ErrPlanVersion = errors.New("unsupported plan file format version")
)

// supportedMajor is the plan file major version this berth writes; it
// also reads the versions that upgrades holds a step for.
const supportedMajor = 2

// upgrades turn a plan decoded from an older major version into the
// current one, each a small step from its major to the next.
var upgrades = map[int]func(*Plan){
	1: upgradeV1,
}

// upgradeV1 upgrades a 1.x plan: 1.x files did not record
// --include-accessories, and a 1.x destroy removed no volume. A 1.x destroy
// plan that removes an accessory was made with --include-accessories.
func upgradeV1(p *Plan) {
	p.IncludeAccessories = p.Destroy && slices.ContainsFunc(p.Changes, func(c Change) bool {
		return c.Action == ActionRemove && c.Address.Accessory != ""
	})
	p.RemoveVolumes, p.Volumes = false, nil
}

// WriteFile writes the plan as indented JSON, atomically (a temporary file
// in the same directory, then a rename), mode 0644. A plan holds no secret
// value, so the file is safe to share.
func WriteFile(path string, p *Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	b = append(b, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write plan file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	return nil
}

// ReadFile reads a plan file. It reads the format version first and refuses
// a major version it does not know, with a message that says what to do.
func ReadFile(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	return Decode(path, b)
}

// File is a plan file as read from disk: its plan, and the digest of its
// bytes, which show and apply print so that a reviewer can tell that the
// file applied is the file reviewed.
type File struct {
	Path   string
	Digest string // "sha256:" and the hex SHA-256 of the file's bytes
	Plan   *Plan
}

// Open reads a plan file like ReadFile and digests its bytes.
func Open(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	p, err := Decode(path, b)
	if err != nil {
		return nil, err
	}
	return &File{Path: path, Digest: ContentDigest(b), Plan: p}, nil
}

// ContentDigest is "sha256:" and the hex SHA-256 of b, as sha256sum prints it.
func ContentDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Decode parses the bytes of a plan file; name is used in error messages.
func Decode(name string, b []byte) (*Plan, error) {
	var head struct {
		FormatVersion *string `json:"format_version"`
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("plan file %s: %w (it is not JSON: %v)", name, ErrNotPlanFile, jsonErr(json.Unmarshal(b, &head)))
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("plan file %s: %w (%v)", name, ErrNotPlanFile, jsonErr(err))
	}
	if head.FormatVersion == nil || *head.FormatVersion == "" {
		return nil, fmt.Errorf("plan file %s: %w (no format_version)", name, ErrNotPlanFile)
	}
	v := *head.FormatVersion
	major, err := majorOf(v)
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w %q", name, ErrPlanVersion, v)
	}
	if major > supportedMajor {
		return nil, versionError(fmt.Sprintf("plan file %s: format version %s is newer than this berth supports (%d.x); upgrade berth", name, v, supportedMajor))
	}
	if major < supportedMajor && upgrades[major] == nil {
		return nil, versionError(fmt.Sprintf("plan file %s: format version %s is older than this berth supports (%d.x); make a new plan", name, v, supportedMajor))
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("plan file %s: %w (%v)", name, ErrNotPlanFile, jsonErr(err))
	}
	for m := major; m < supportedMajor; m++ {
		upgrades[m](&p)
		p.FormatVersion = fmt.Sprintf("%d.0", m+1)
	}
	if err := p.Graph.Validate(); err != nil {
		return nil, fmt.Errorf("plan file %s: %w", name, err)
	}
	return &p, nil
}

// versionError is an ErrPlanVersion whose message says all there is to say.
type versionError string

func (e versionError) Error() string        { return string(e) }
func (e versionError) Is(target error) bool { return target == ErrPlanVersion }

func majorOf(v string) (int, error) {
	m, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(m)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad version %q", v)
	}
	return n, nil
}

// jsonErr shortens a JSON error to its message; it never carries input bytes beyond a token.
func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return err.Error()
}
