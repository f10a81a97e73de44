// Package audit keeps the audit trail: one JSON line per apply (or other
// change) appended to ~/.berth/audit/SERVICE.log on every host the change
// concerned, and read back merged across hosts for `berth audit`. A
// destination has a log of its own: SERVICE is the state name,
// SERVICE@DESTINATION (lang.Config.StateName).
//
// Like lock, it needs only a way to run a shell command on a host; it does
// not know SSH.
package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Runner runs a shell command on one host, with stdin, and returns stdout.
type Runner interface {
	Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error)
}

// Entry is one audit line. It never holds a secret.
type Entry struct {
	Time    time.Time `json:"time"`
	Host    string    `json:"host"`    // the host the line was written on
	Service string    `json:"service"` // the state name: SERVICE or SERVICE@DESTINATION, one log each
	Who     string    `json:"who"`
	Command string    `json:"command"` // "apply", "rollback", "destroy", "lock release"
	Version string    `json:"version,omitempty"`
	Result  string    `json:"result"` // "started", "succeeded", "failed", "interrupted"
	Summary string    `json:"summary,omitempty"`
}

func file(service string) string { return `"$HOME"/.berth/audit/` + quote(service) + `.log` }

// Append writes e as one line on the host r reaches.
func Append(ctx context.Context, r Runner, e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	cmd := `mkdir -p "$HOME"/.berth/audit && cat >> ` + file(e.Service)
	if _, err := r.Run(ctx, cmd, bytes.NewReader(line)); err != nil {
		return fmt.Errorf("write the audit line on %s: %w", e.Host, err)
	}
	return nil
}

// Read returns the last n entries of the host r reaches (all when n <= 0),
// oldest first. Lines that are not entries are skipped.
func Read(ctx context.Context, r Runner, service string, n int) ([]Entry, error) {
	cmd := "cat " + file(service) + " 2>/dev/null || true"
	if n > 0 {
		cmd = "tail -n " + strconv.Itoa(n) + " " + file(service) + " 2>/dev/null || true"
	}
	out, err := r.Run(ctx, cmd, nil)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil && !e.Time.IsZero() {
			entries = append(entries, e)
		}
	}
	return entries, sc.Err()
}

// Merge orders the entries of several hosts by time.
func Merge(lists ...[]Entry) []Entry {
	var all []Entry
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
