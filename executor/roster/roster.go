// Package roster keeps a service's roster on its hosts: the list of hosts
// the service was last deployed to (names, addresses, SSH users and ports;
// never a secret), in ~/.berth/roster/SERVICE.json on every host an apply
// touched. A plan reads it back from the declared hosts, so that a host
// that left the configuration is still read and its containers planned as
// removes. There is still no state file: the hosts are the state.
//
// Like lock and audit, it needs only a way to run a shell command on a
// host; it does not know SSH, and it does not decide what a departed host
// means (planner does).
package roster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-sh/berth/planner"
)

// Runner runs a shell command on one host, with stdin, and returns stdout.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error)
}

// Roster is the file's content.
type Roster struct {
	FormatVersion int                  `json:"format_version"`
	Service       string               `json:"service"`
	Written       time.Time            `json:"written"`
	Hosts         []planner.RosterHost `json:"hosts"`
}

const formatVersion = 1

func dir() string { return `"$HOME"/.berth/roster` }

func file(service string) string { return dir() + "/" + quote(service) + ".json" }

// Write replaces the roster on the host r reaches, atomically (a reader
// sees the old file or the new one, never half of one).
func Write(ctx context.Context, r Runner, service string, hosts []planner.RosterHost, now time.Time) error {
	body, err := json.Marshal(Roster{FormatVersion: formatVersion, Service: service, Written: now.UTC(), Hosts: hosts})
	if err != nil {
		return err
	}
	tmp := dir() + "/." + quote(service) + ".$$.tmp"
	cmd := `mkdir -p ` + dir() + ` && cat > ` + tmp + ` && mv -f ` + tmp + ` ` + file(service)
	if _, err := r.Run(ctx, cmd, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("write the roster: %w", err)
	}
	return nil
}

// Read returns the roster's hosts on the host r reaches; none when there
// is no roster yet.
func Read(ctx context.Context, r Runner, service string) ([]planner.RosterHost, error) {
	out, err := r.Run(ctx, "cat "+file(service)+" 2>/dev/null || true", nil)
	if err != nil {
		return nil, fmt.Errorf("read the roster: %w", err)
	}
	return Parse(out, service)
}

// Parse decodes a roster file; empty input is an empty roster.
func Parse(b []byte, service string) ([]planner.RosterHost, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var ro Roster
	if err := json.Unmarshal(b, &ro); err != nil {
		return nil, fmt.Errorf("read the roster ~/.berth/roster/%s.json: %w", service, err)
	}
	if ro.FormatVersion > formatVersion {
		return nil, fmt.Errorf("the roster ~/.berth/roster/%s.json has format %d, newer than this berth reads (%d): upgrade berth", service, ro.FormatVersion, formatVersion)
	}
	return ro.Hosts, nil
}

// quote makes s one shell word.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
