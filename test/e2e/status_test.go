//go:build e2e

package e2e

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// berth status with one host cut off: a row UNREACHABLE for it with the
// error, exit 1 and no all-clear, in text and in JSON; the other hosts'
// rows are still there.
func TestStatusUnreachableHost(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "statusdown")
	cfg := appConfig(l, svc, "v1", "") + strings.Replace(l.SSHBlock(), "known_hosts", `connect_timeout = "3s"
  known_hosts`, 1)
	dir := l.WriteConfig(t, cfg)
	mustApply(t, l, dir)
	if r := l.Berth(t, dir, "status"); r.Code != 0 || !strings.Contains(r.Stdout, "Every host runs what the configuration says") {
		t.Fatalf("status before the cut: %s", r)
	}

	veth := l.Host(t, "h2").Veth()
	if out, err := exec.Command("ip", "link", "set", veth, "down").CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s down: %v %s", veth, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "link", "set", veth, "up").CombinedOutput(); err != nil {
			t.Errorf("ip link set %s up: %v %s", veth, err, out)
		}
		Eventually(t, 30*time.Second, func() error {
			_, err := l.SSH(t, "h2", "true")
			return err
		})
	})

	r := l.Berth(t, dir, "status")
	if r.Code != 1 {
		t.Fatalf("status with h2 cut off: exit %d, want 1: %s", r.Code, r)
	}
	if strings.Contains(r.Stdout, "Every host runs") {
		t.Errorf("all-clear with h2 cut off:\n%s", r.Stdout)
	}
	row := regexp.MustCompile(`(?m)^h2 .*UNREACHABLE +(.+)$`).FindStringSubmatch(r.Stdout)
	if row == nil {
		t.Fatalf("no UNREACHABLE row for h2:\n%s", r.Stdout)
	}
	if !strings.Contains(row[1], "unreachable") && !strings.Contains(row[1], "timeout") {
		t.Errorf("the row does not say why: %q", row[1])
	}
	if n := strings.Count(r.Stdout+r.Stderr, "h2"); n != 1 {
		t.Errorf("h2 named %d times, want once (its row):\n%s\n%s", n, r.Stdout, r.Stderr)
	}
	for _, h := range []string{"h1", "h3"} {
		if !regexp.MustCompile(`(?m)^` + h + ` .*running`).MatchString(r.Stdout) {
			t.Errorf("no running row for %s:\n%s", h, r.Stdout)
		}
	}

	r = l.Berth(t, dir, "status", "--json")
	if r.Code != 1 {
		t.Fatalf("status --json with h2 cut off: exit %d, want 1: %s", r.Code, r)
	}
	var doc struct {
		AllClear   *bool `json:"all_clear"`
		Containers []struct {
			Host, Mark, Error string
			Unreachable       bool
		} `json:"containers"`
		Unreachable []struct{ Host, Error string } `json:"unreachable"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	if doc.AllClear == nil || *doc.AllClear {
		t.Errorf("all_clear is not false:\n%s", r.Stdout)
	}
	found := 0
	for _, c := range doc.Containers {
		if c.Host == "h2" {
			found++
			if !c.Unreachable || c.Mark != "UNREACHABLE" || c.Error == "" {
				t.Errorf("h2's row: %+v", c)
			}
		}
	}
	if found != 1 || len(doc.Unreachable) != 1 || doc.Unreachable[0].Host != "h2" {
		t.Errorf("h2 rows %d, unreachable %+v:\n%s", found, doc.Unreachable, r.Stdout)
	}
}
