//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/sshx"
)

// transportPool returns an sshx pool for every lab host, closed at the end
// of the test. mod may adjust the options.
func transportPool(t *testing.T, l *LabEnv, mod func(*sshx.Options)) *sshx.Pool {
	t.Helper()
	opts := sshx.Options{
		Config: sshx.Config{User: "root", Port: 22, Identity: l.KeyPath, KnownHosts: l.KnownHostsPath,
			HostKeyPolicy: sshx.PolicyStrict, ConnectTimeout: 10 * time.Second, CommandTimeout: time.Minute},
		Environ: []string{}, // no agent: the identity file alone must do
	}
	for _, h := range l.Hosts {
		opts.Hosts = append(opts.Hosts, sshx.Host{Name: h.Name, Address: h.Addr})
	}
	if mod != nil {
		mod(&opts)
	}
	p, err := sshx.NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestTransportHosts runs hostname on every host and pings each host's
// Docker daemon through its forwarded socket, on one connection per host.
func TestTransportHosts(t *testing.T) {
	l := Lab(t)
	p := transportPool(t, l, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for _, h := range l.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Conn(ctx, h.Name)
			if err != nil {
				t.Error(err)
				return
			}
			out, err := c.Run(ctx, "hostname", nil)
			if err != nil || strings.TrimSpace(string(out)) != h.Lab {
				t.Errorf("%s: hostname = %q, %v", h.Name, out, err)
			}
			for i := range 3 {
				conn, err := c.DialContext(ctx, "unix", "/var/run/docker.sock")
				if err != nil {
					t.Errorf("%s: %v", h.Name, err)
					return
				}
				fmt.Fprintf(conn, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Errorf("%s: ping %d: %v", h.Name, i, err)
					conn.Close()
					return
				}
				body := make([]byte, 2)
				_, _ = resp.Body.Read(body)
				conn.Close()
				if resp.StatusCode != 200 || string(body) != "OK" || resp.Header.Get("Api-Version") == "" {
					t.Errorf("%s: ping %d: %d %q", h.Name, i, resp.StatusCode, body)
				}
			}
			if _, err := c.Run(ctx, "exit 3", nil); err == nil {
				t.Errorf("%s: exit 3 gave no error", h.Name)
			} else {
				var ee *sshx.ExitError
				if !errors.As(err, &ee) || ee.Status != 3 {
					t.Errorf("%s: exit 3: %v", h.Name, err)
				}
			}
		}()
	}
	wg.Wait()
	if p.Dials() != len(l.Hosts) {
		t.Fatalf("Dials() = %d for %d hosts", p.Dials(), len(l.Hosts))
	}
}

// TestTransportHostKeys checks that real host keys are verified: a host
// missing from known_hosts and a host presenting another host's key are
// both refused, and accept-new records a missing one.
func TestTransportHostKeys(t *testing.T) {
	l := Lab(t)
	if len(l.Hosts) < 2 {
		t.Skip("needs two hosts")
	}
	h1, h2 := l.Hosts[0], l.Hosts[1]
	b, err := os.ReadFile(l.KnownHostsPath)
	if err != nil {
		t.Fatal(err)
	}
	var others, h1Lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if strings.Contains(","+f[0]+",", ","+h1.Addr+",") {
			h1Lines = append(h1Lines, line)
		} else {
			others = append(others, line)
		}
	}
	if len(h1Lines) == 0 {
		t.Fatalf("no known_hosts line for %s", h1.Addr)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	try := func(lines []string, policy string) (*sshx.Pool, string, error) {
		path := filepath.Join(dir, fmt.Sprintf("kh-%d", time.Now().UnixNano()))
		os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
		p := transportPool(t, l, func(o *sshx.Options) { o.Config.KnownHosts = path; o.Config.HostKeyPolicy = policy })
		c, err := p.Conn(ctx, h1.Name)
		if err == nil {
			_, err = c.Run(ctx, "true", nil)
		}
		return p, path, err
	}
	if _, _, err := try(others, sshx.PolicyStrict); !errors.Is(err, sshx.ErrUnknownHostKey) || !strings.Contains(err.Error(), "host "+h1.Name) {
		t.Errorf("unknown host: %v", err)
	}
	// h2's key recorded under h1's address: a man in the middle.
	var forged []string
	for _, line := range others {
		f := strings.Fields(line)
		if strings.Contains(f[0], h2.Addr) {
			forged = append(forged, h1.Addr+" "+strings.Join(f[1:], " "))
		}
	}
	if _, _, err := try(append(append([]string{}, others...), forged...), sshx.PolicyAcceptNew); !errors.Is(err, sshx.ErrHostKeyMismatch) {
		t.Errorf("forged key: %v", err)
	}
	_, path, err := try(others, sshx.PolicyAcceptNew)
	if err != nil {
		t.Fatalf("accept-new: %v", err)
	}
	if _, _, err := try(nil, sshx.PolicyStrict); err == nil {
		t.Fatal("an empty known_hosts was accepted")
	}
	recorded, _ := os.ReadFile(path)
	if _, _, err := try(strings.Split(strings.TrimSpace(string(recorded)), "\n"), sshx.PolicyStrict); err != nil {
		t.Fatalf("the key accept-new recorded is not accepted strictly: %v", err)
	}
}

// TestTransportProxyJump reaches every other host through the first one
// used as a bastion; all host keys come from the same known_hosts file, and
// one bastion connection carries them all.
func TestTransportProxyJump(t *testing.T) {
	l := Lab(t)
	if len(l.Hosts) < 2 {
		t.Skip("needs two hosts")
	}
	bastion := l.Hosts[0]
	p := transportPool(t, l, func(o *sshx.Options) { o.Config.ProxyJump = "root@" + bastion.Addr })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, target := range l.Hosts[1:] {
		c, err := p.Conn(ctx, target.Name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.Run(ctx, "hostname", nil)
		if err != nil || strings.TrimSpace(string(out)) != target.Lab {
			t.Fatalf("hostname through %s = %q, %v", bastion.Name, out, err)
		}
	}
	if p.Dials() != len(l.Hosts) {
		t.Fatalf("Dials() = %d, want %d (one bastion and %d targets)", p.Dials(), len(l.Hosts), len(l.Hosts)-1)
	}
}

// TestTransportManyCommandsAtOnce runs more commands at once on one host
// than sshd's MaxSessions allows on a connection: they queue, none fails.
func TestTransportManyCommandsAtOnce(t *testing.T) {
	l := Lab(t)
	h := l.Hosts[0]
	p := transportPool(t, l, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 3 * sshx.MaxSessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Conn(ctx, h.Name)
			if err != nil {
				t.Error(err)
				return
			}
			out, err := c.Run(ctx, fmt.Sprintf("sleep 0.2; echo %d", i), nil)
			if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(i) {
				t.Errorf("command %d: %q %v", i, out, err)
			}
		}()
	}
	wg.Wait()
	if p.Dials() != 1 {
		t.Fatalf("Dials() = %d", p.Dials())
	}
}
