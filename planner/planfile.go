package planner

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
const supportedMajor = 4

// upgrades turn a plan decoded from an older major version into the
// current one, each a small step from its major to the next.
var upgrades = map[int]func(*Plan){
	1: upgradeV1,
	2: upgradeV2,
	3: upgradeV3,
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

// upgradeV2 upgrades a 2.x plan. A 2.x file spelt out what 3.0 leaves to
// the reader (every step's kind and address, each host's containers, the
// labels of live containers); the reader takes both, so nothing is left
// to change but the labels, which 3.0 does not keep.
func upgradeV2(p *Plan) {
	for i := range p.Changes {
		forLive(&p.Changes[i], func(c *Container) { c.Labels = nil })
	}
}

// upgradeV3 upgrades a 3.x plan: 3.x had no destinations, so its plan is
// the configuration's without one, which an empty Destination says.
func upgradeV3(p *Plan) { p.Destination = "" }

// WriteFile writes the plan as compact JSON, streamed through a buffer,
// atomically (a temporary file in the same directory, then a rename), mode
// 0644. A plan holds no secret value, so the file is safe to share.
//
// The file leaves out what its reader derives again (see filePlan): a
// step's kind and address, which its ID spells; each host's containers,
// which the changes list; the labels of live containers, which their IDs
// fix. `berth show --json` renders the plan in full.
func WriteFile(path string, p *Plan) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write plan file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := encodeStreamed(w, toFile(p)); err != nil {
		tmp.Close()
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
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

// listsTail is how the JSON of a filePlan ends when its three lists are
// empty: they are its last fields (encoding/json puts the fields of the
// embedded Plan first).
const listsTail = `,"hosts":[],"changes":[],"graph":{"steps":[]}}`

// encodeStreamed writes fp as json.Encoder would, but one host, change
// and step at a time: encoding/json builds a whole value in memory before
// writing it, which for a plan of 10,000 hosts is a buffer of about
// 100 MB, grown by doubling, at the moment the plan's own memory is
// largest.
func encodeStreamed(w *bufio.Writer, fp filePlan) error {
	head := fp
	head.Hosts, head.Changes, head.Graph.Steps = []fileHost{}, []fileChange{}, []fileStep{}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(b, []byte(listsTail)) {
		return fmt.Errorf("encoding the plan: its lists are not where the writer expects them")
	}
	w.Write(b[:len(b)-len(listsTail)])
	w.WriteString(`,"hosts":`)
	if err := writeList(w, fp.Hosts); err != nil {
		return err
	}
	w.WriteString(`,"changes":`)
	if err := writeList(w, fp.Changes); err != nil {
		return err
	}
	w.WriteString(`,"graph":{"steps":`)
	if err := writeList(w, fp.Graph.Steps); err != nil {
		return err
	}
	_, err = w.WriteString("}}\n")
	return err
}

// writeList writes a JSON array element by element (a nil list as [],
// which the reader takes as it takes null).
func writeList[T any](w *bufio.Writer, list []T) error {
	w.WriteByte('[')
	for i := range list {
		if i > 0 {
			w.WriteByte(',')
		}
		b, err := json.Marshal(&list[i])
		if err != nil {
			return err
		}
		w.Write(b)
	}
	return w.WriteByte(']')
}

// filePlan is a Plan as its file holds it: the plan's own fields, but for
// the hosts, the changes and the graph in their file forms.
type filePlan struct {
	*Plan
	Hosts   []fileHost   `json:"hosts"`
	Changes []fileChange `json:"changes"`
	Graph   fileGraph    `json:"graph"`
}

// fileHost is a HostSnapshot without its containers (the changes list them).
type fileHost struct {
	*HostSnapshot
	Containers []SnapshotContainer `json:"containers,omitempty"`
}

// fileChange is a Change whose live containers carry no labels.
type fileChange struct {
	*Change
	Running *fileContainer  `json:"running,omitempty"`
	Others  []fileContainer `json:"others,omitempty"`
	Extra   []fileContainer `json:"extra,omitempty"`
	Keep    *fileContainer  `json:"keep,omitempty"`
}

type fileContainer struct {
	*Container
	Labels map[string]string `json:"labels,omitempty"`
}

type fileGraph struct {
	Steps []fileStep `json:"steps"`
}

// fileStep is a Step whose kind and address are left out when its ID
// spells them ("h1/web/pull").
type fileStep struct {
	ID        string   `json:"id"`
	Kind      StepKind `json:"kind,omitempty"`
	Address   *Address `json:"address,omitempty"`
	Batch     int      `json:"batch,omitempty"`
	DependsOn []string `json:"depends_on,omitempty"`
}

func toFile(p *Plan) filePlan {
	fp := filePlan{Plan: p, Hosts: make([]fileHost, len(p.Hosts)), Changes: make([]fileChange, len(p.Changes))}
	for i := range p.Hosts {
		fp.Hosts[i] = fileHost{HostSnapshot: &p.Hosts[i]}
	}
	addrs := make(map[string]bool, len(p.Changes))
	for i := range p.Changes {
		c := &p.Changes[i]
		addrs[c.Address.String()] = true
		fc := fileChange{Change: c, Running: liveFile(c.Running), Keep: liveFile(c.Keep)}
		for j := range c.Others {
			fc.Others = append(fc.Others, fileContainer{Container: &c.Others[j]})
		}
		for j := range c.Extra {
			fc.Extra = append(fc.Extra, fileContainer{Container: &c.Extra[j]})
		}
		fp.Changes[i] = fc
	}
	fp.Graph.Steps = make([]fileStep, len(p.Graph.Steps))
	for i, s := range p.Graph.Steps {
		fs := fileStep{ID: s.ID, Batch: s.Batch, DependsOn: s.DependsOn}
		if a, k, ok := spelt(s.ID); !ok || k != s.Kind || a != s.Address.String() || !addrs[a] {
			fs.Kind, fs.Address = s.Kind, &p.Graph.Steps[i].Address
			if s.Address == (Address{}) {
				fs.Address = nil
			}
		}
		fp.Graph.Steps[i] = fs
	}
	return fp
}

func liveFile(c *Container) *fileContainer {
	if c == nil {
		return nil
	}
	return &fileContainer{Container: c}
}

// spelt splits a step ID "ADDRESS/KIND" into its address and kind.
func spelt(id string) (string, StepKind, bool) {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 {
		return "", "", false
	}
	return id[:i], StepKind(id[i+1:]), true
}

// fromFile turns a decoded file back into the plan, deriving what the
// file leaves out.
func fromFile(fp *filePlan) *Plan {
	p := fp.Plan
	p.Changes = make([]Change, len(fp.Changes))
	byAddr := make(map[string]Address, len(fp.Changes))
	for i, fc := range fp.Changes {
		c := *fc.Change
		c.Running, c.Keep = liveOf(fc.Running), liveOf(fc.Keep)
		c.Others, c.Extra = livesOf(fc.Others), livesOf(fc.Extra)
		p.Changes[i] = c
		byAddr[c.Address.String()] = c.Address
	}
	p.Graph.Steps = make([]Step, len(fp.Graph.Steps))
	for i, fs := range fp.Graph.Steps {
		s := Step{ID: fs.ID, Kind: fs.Kind, Batch: fs.Batch, DependsOn: fs.DependsOn}
		if fs.Address != nil {
			s.Address = *fs.Address
		}
		if a, k, ok := spelt(fs.ID); ok && fs.Kind == "" && fs.Address == nil {
			s.Kind, s.Address = k, byAddr[a]
		}
		p.Graph.Steps[i] = s
	}
	p.Hosts = make([]HostSnapshot, len(fp.Hosts))
	var seen map[string][]SnapshotContainer
	for i, fh := range fp.Hosts {
		h := *fh.HostSnapshot
		h.Containers = fh.Containers
		if len(h.Containers) == 0 {
			if seen == nil {
				seen = liveByHost(p.Changes)
			}
			h.Containers = seen[h.Name]
		}
		p.Hosts[i] = h
	}
	return p
}

func liveOf(fc *fileContainer) *Container {
	if fc == nil {
		return nil
	}
	c := *fc.Container
	c.Labels = fc.Labels
	return &c
}

func livesOf(fcs []fileContainer) []Container {
	var out []Container
	for _, fc := range fcs {
		out = append(out, *liveOf(&fc))
	}
	return out
}

// forLive calls f for each live container of a change.
func forLive(c *Change, f func(*Container)) {
	for _, p := range []*Container{c.Running, c.Keep} {
		if p != nil {
			f(p)
		}
	}
	for i := range c.Others {
		f(&c.Others[i])
	}
	for i := range c.Extra {
		f(&c.Extra[i])
	}
}

// liveByHost lists, per host, the live containers the changes record, as
// a host snapshot lists them: what a stale check describes.
func liveByHost(changes []Change) map[string][]SnapshotContainer {
	out := map[string][]SnapshotContainer{}
	ids := map[string]bool{}
	for i := range changes {
		c := &changes[i]
		forLive(c, func(k *Container) {
			if !ids[k.ID] {
				ids[k.ID] = true
				out[c.Address.Host] = append(out[c.Address.Host], SnapshotContainer{ID: k.ID, Name: k.Name, State: k.State, Version: k.Version, ConfigHash: k.ConfigHash})
			}
		})
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b SnapshotContainer) int {
			return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		})
	}
	return out
}
