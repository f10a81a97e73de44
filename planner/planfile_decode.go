package planner

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Reading a plan file: the streamed decoder, the format version check and
// the errors that say why a file is not a plan berth can apply.

// ReadFile reads a plan file. It reads the format version first and refuses
// a major version it does not know, with a message that says what to do.
func ReadFile(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	defer f.Close()
	return decodeFrom(path, f)
}

// File is a plan file as read from disk: its plan, and the digest of its
// bytes, which show and apply print so that a reviewer can tell that the
// file applied is the file reviewed.
type File struct {
	Path   string
	Digest string // "sha256:" and the hex SHA-256 of the file's bytes
	Plan   *Plan
}

// Open reads a plan file like ReadFile and digests its bytes as it reads them.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	p, err := decodeFrom(path, io.TeeReader(f, h))
	if err != nil {
		return nil, err
	}
	return &File{Path: path, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Plan: p}, nil
}

// ContentDigest is "sha256:" and the hex SHA-256 of b, as sha256sum prints it.
func ContentDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Decode parses the bytes of a plan file; name is used in error messages.
func Decode(name string, b []byte) (*Plan, error) {
	return decodeFrom(name, bytes.NewReader(b))
}

// decodeFrom reads a plan file from r, streamed: the format version
// first, from the head of the file, then the plan. It reads r to its end.
func decodeFrom(name string, r io.Reader) (*Plan, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	defer func() { _, _ = io.Copy(io.Discard, br) }() // the digest covers every byte
	head, _ := br.Peek(64 << 10)
	v, found, err := formatVersionOf(head)
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w (%v)", name, ErrNotPlanFile, err)
	}
	if found {
		if err := checkVersion(name, v); err != nil {
			return nil, err
		}
	}
	fp := filePlan{Plan: &Plan{}}
	dec := json.NewDecoder(br)
	if err := decodeStreamed(dec, &fp); err != nil {
		return nil, notPlan(name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("plan file %s: %w (it is not JSON: more after the plan)", name, ErrNotPlanFile)
	}
	if !found {
		if fp.FormatVersion == "" {
			return nil, fmt.Errorf("plan file %s: %w (no format_version)", name, ErrNotPlanFile)
		}
		if err := checkVersion(name, fp.FormatVersion); err != nil {
			return nil, err
		}
	}
	p := fromFile(&fp)
	major, _ := majorOf(p.FormatVersion)
	for m := major; m < supportedMajor; m++ {
		upgrades[m](p)
		p.FormatVersion = fmt.Sprintf("%d.0", m+1)
	}
	if err := p.Graph.Validate(); err != nil {
		return nil, fmt.Errorf("plan file %s: %w", name, err)
	}
	return p, nil
}

// decodeStreamed decodes a plan file's object into fp one array element
// at a time for the big lists (hosts, changes, graph steps), so that the
// decoder holds one element's bytes at once, not the whole file's. The
// other fields are gathered and decoded together at the end.
func decodeStreamed(dec *json.Decoder, fp *filePlan) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	rest := map[string]json.RawMessage{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		switch k, _ := kt.(string); k {
		case "hosts":
			fp.Hosts, err = decodeList(dec, func() fileHost { return fileHost{HostSnapshot: &HostSnapshot{}} })
		case "changes":
			fp.Changes, err = decodeList(dec, func() fileChange { return fileChange{Change: &Change{}} })
		case "graph":
			err = decodeGraph(dec, &fp.Graph)
		default:
			var raw json.RawMessage
			err = dec.Decode(&raw)
			rest[k] = raw
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return err
	}
	b, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, fp)
}

// decodeList decodes a JSON array (or null) element by element.
func decodeList[T any](dec *json.Decoder, zero func() T) ([]T, error) {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("json: cannot unmarshal %s into a list", jsonKind(tok))
	}
	var out []T
	for dec.More() {
		v := zero()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	_, err = dec.Token() // ']'
	return out, err
}

func decodeGraph(dec *json.Decoder, g *fileGraph) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("json: cannot unmarshal %s into the graph, an object", jsonKind(tok))
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		if kt == "steps" {
			g.Steps, err = decodeList(dec, func() fileStep { return fileStep{} })
		} else {
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return err
		}
	}
	_, err = dec.Token() // '}'
	return err
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("json: cannot unmarshal %s into a plan, an object", jsonKind(tok))
	}
	return nil
}

// formatVersionOf finds the top-level format_version in the head of a
// file. found is false when the head ends before it; err is set when the
// head is not a JSON object or the version not a non-empty string.
func formatVersionOf(head []byte) (v string, found bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(head))
	tok, err := dec.Token()
	if err != nil {
		return "", false, fmt.Errorf("it is not JSON: %s", jsonErr(err))
	}
	if tok != json.Delim('{') {
		return "", false, fmt.Errorf("json: cannot unmarshal %s into a plan, an object", jsonKind(tok))
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return "", false, nil // cut off, or bad JSON: the full decode says
		}
		if kt != "format_version" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return "", false, nil
			}
			continue
		}
		vt, err := dec.Token()
		if err != nil {
			return "", false, nil
		}
		s, ok := vt.(string)
		if !ok {
			return "", false, fmt.Errorf("json: cannot unmarshal %s into format_version, a string", jsonKind(vt))
		}
		if s == "" {
			return "", false, errors.New("no format_version")
		}
		return s, true, nil
	}
	if _, err := dec.Token(); err == nil {
		return "", false, errors.New("no format_version")
	}
	return "", false, nil
}

// jsonKind names the JSON kind of a token.
func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		if tok == json.Delim('[') {
			return "array"
		}
		return "object"
	case float64, json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "string"
}

// checkVersion refuses a format version this berth does not read.
func checkVersion(name, v string) error {
	major, err := majorOf(v)
	if err != nil {
		return fmt.Errorf("plan file %s: %w %q", name, ErrPlanVersion, v)
	}
	if major > supportedMajor {
		return versionError(fmt.Sprintf("plan file %s: format version %s is newer than this berth supports (%d.x); upgrade berth", name, v, supportedMajor))
	}
	if major < supportedMajor && upgrades[major] == nil {
		return versionError(fmt.Sprintf("plan file %s: format version %s is older than this berth supports (%d.x); make a new plan", name, v, supportedMajor))
	}
	return nil
}

func notPlan(name string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("plan file %s: %w (it is not JSON: %v)", name, ErrNotPlanFile, jsonErr(err))
	}
	return fmt.Errorf("plan file %s: %w (%v)", name, ErrNotPlanFile, jsonErr(err))
}

// versionError is an ErrPlanVersion whose message says all there is to say.
type versionError string

func (e versionError) Error() string { return string(e) }

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
