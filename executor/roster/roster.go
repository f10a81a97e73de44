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
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
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
	body, err := Encode(service, hosts, now)
	if err != nil {
		return err
	}
	return WriteEncoded(ctx, r, service, body)
}

// Encode is the roster file of hosts, for WriteEncoded: a roster lists the
// whole fleet, so an apply encodes it once rather than once per host.
func Encode(service string, hosts []planner.RosterHost, now time.Time) ([]byte, error) {
	return json.Marshal(Roster{FormatVersion: formatVersion, Service: service, Written: now.UTC(), Hosts: hosts})
}

// WriteEncoded writes a roster made by Encode, like Write. A file that
// arrives short (the connection or the deadline cut the transfer) is not
// installed: the old one stays, and the command fails.
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

func Read(ctx context.Context, r Runner, service string) ([]planner.RosterHost, error) {
	return (*Cache)(nil).Read(ctx, r, service)
}

// Cache parses each distinct roster once and hands out the same list for
// every host that keeps it: a roster lists the whole fleet and is the same
// on every host, so parsing each host's copy would cost hosts² entries.
// The lists it returns are shared: callers must not change them. A nil
// *Cache parses every time.
type Cache struct {
	mu     sync.Mutex
	parsed map[[sha256.Size]byte]*parse
}

// parse is one roster's parse, shared by the hosts that keep it; done is
// closed when hosts and err are set.
type parse struct {
	done  chan struct{}
	hosts []planner.RosterHost
	err   error
}

// Read reads the service's roster on the host behind r, like the
// package's Read.
func (c *Cache) Read(ctx context.Context, r Runner, service string) ([]planner.RosterHost, error) {
	out, err := r.Run(ctx, "cat "+file(service)+" 2>/dev/null || true", nil)
	if err != nil {
		return nil, fmt.Errorf("read the roster: %w", err)
	}
	if c == nil {
		return Parse(out, service)
	}
	sum := sha256.Sum256(out)
	c.mu.Lock()
	p, ok := c.parsed[sum]
	if !ok {
		if c.parsed == nil {
			c.parsed = map[[sha256.Size]byte]*parse{}
		}
		p = &parse{done: make(chan struct{})}
		c.parsed[sum] = p
	}
	c.mu.Unlock()
	if !ok {
		p.hosts, p.err = Parse(out, service)
		close(p.done)
	}
	<-p.done
	return p.hosts, p.err
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

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
