// Package roster keeps a service's roster on its hosts: the list of hosts
// the service was last deployed to (names, addresses, SSH users and ports;
// never a secret), in ~/.berth/roster/SERVICE.json. A plan reads it back
// from the declared hosts, so that a host that left the configuration is
// still read and its containers planned as removes. There is still no
// state file: the hosts are the state.
//
// The whole list is kept on a few hosts only, the keepers; every other
// host keeps a stub with the list's digest and the keepers' addresses, so
// that writing and reading the roster grows with the fleet, not with its
// square. A reader that meets a stub whose list it has not read yet reads
// it from a keeper, once per plan.
//
// Like lock and audit, it needs only a way to run a shell command on a
// host; it does not know SSH, and it does not decide what a departed host
// means (planner does).
package roster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/berth-sh/berth/planner"
)

// Runner runs a shell command on one host, with stdin, and returns stdout.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error)
}

// Keepers is how many hosts keep the whole list.
const Keepers = 3

// Roster is the file's content: the whole list (Hosts) on a keeper, or a
// stub (Keepers) on every other host. Format 1 files have no digest and
// are always whole.
type Roster struct {
	FormatVersion int                  `json:"format_version"`
	Service       string               `json:"service"`
	Written       time.Time            `json:"written"`
	Digest        string               `json:"digest,omitempty"`
	Hosts         []planner.RosterHost `json:"hosts,omitempty"`
	Keepers       []planner.RosterHost `json:"keepers,omitempty"`
}

// Stub reports whether the file holds only the digest and the keepers.
func (r Roster) Stub() bool { return len(r.Keepers) > 0 }

const formatVersion = 2

func dir() string { return `"$HOME"/.berth/roster` }

func file(service string) string { return dir() + "/" + quote(service) + ".json" }

// Digest is the digest of a host list, the same for the same list.
func Digest(hosts []planner.RosterHost) string {
	b, _ := json.Marshal(hosts) // a slice of plain structs always encodes
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Write replaces the whole roster on the host r reaches, atomically (a
// reader sees the old file or the new one, never half of one).
func Write(ctx context.Context, r Runner, service string, hosts []planner.RosterHost, now time.Time) error {
	body, err := EncodeFull(service, hosts, now)
	if err != nil {
		return err
	}
	return WriteEncoded(ctx, r, service, body)
}

// EncodeFull is the keepers' file: the whole list. An apply encodes it
// once for every keeper.
func EncodeFull(service string, hosts []planner.RosterHost, now time.Time) ([]byte, error) {
	return json.Marshal(Roster{FormatVersion: formatVersion, Service: service, Written: now.UTC(), Digest: Digest(hosts), Hosts: hosts})
}

// EncodeStub is every other host's file: the digest of hosts and where
// the whole list is kept.
func EncodeStub(service string, hosts, keepers []planner.RosterHost, now time.Time) ([]byte, error) {
	if len(keepers) == 0 {
		return nil, fmt.Errorf("a roster stub needs a keeper")
	}
	return json.Marshal(Roster{FormatVersion: formatVersion, Service: service, Written: now.UTC(), Digest: Digest(hosts), Keepers: keepers})
}

// WriteEncoded writes a file made by EncodeFull or EncodeStub, like Write.
// A file that arrives short (the connection or the deadline cut the
// transfer) is not installed: the old one stays, and the command fails.
func WriteEncoded(ctx context.Context, r Runner, service string, body []byte) error {
	tmp := dir() + "/." + quote(service) + ".$$.tmp"
	n := strconv.Itoa(len(body))
	cmd := `mkdir -p ` + dir() + ` && cat > ` + tmp +
		` && { [ "$(wc -c < ` + tmp + `)" -eq ` + n + ` ] || { echo "roster cut short" >&2; rm -f ` + tmp + `; exit 1; }; }` +
		` && mv -f ` + tmp + ` ` + file(service)
	if _, err := r.Run(ctx, cmd, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("write the roster: %w", err)
	}
	return nil
}

// readFile returns the roster file's bytes on the host r reaches; none
// when there is no roster.
func readFile(ctx context.Context, r Runner, service string) ([]byte, error) {
	out, err := r.Run(ctx, "cat "+file(service)+" 2>/dev/null || true", nil)
	if err != nil {
		return nil, fmt.Errorf("read the roster: %w", err)
	}
	return out, nil
}

// Read reads the whole roster of service on the host r reaches. A stub is
// returned as it is, without its list; Cache.Read follows it to a keeper.
func Read(ctx context.Context, r Runner, service string) ([]planner.RosterHost, error) {
	out, err := readFile(ctx, r, service)
	if err != nil {
		return nil, err
	}
	ro, err := Decode(out, service)
	return ro.Hosts, err
}

// Decode decodes a roster file; empty input is an empty roster.
func Decode(b []byte, service string) (Roster, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return Roster{}, nil
	}
	var ro Roster
	if err := json.Unmarshal(b, &ro); err != nil {
		return Roster{}, fmt.Errorf("read the roster ~/.berth/roster/%s.json: %w", service, err)
	}
	if ro.FormatVersion > formatVersion {
		return Roster{}, fmt.Errorf("the roster ~/.berth/roster/%s.json has format %d, newer than this berth reads (%d): upgrade berth", service, ro.FormatVersion, formatVersion)
	}
	return ro, nil
}

// Parse decodes a whole roster file and returns its list.
func Parse(b []byte, service string) ([]planner.RosterHost, error) {
	ro, err := Decode(b, service)
	return ro.Hosts, err
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
