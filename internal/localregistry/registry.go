package localregistry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// startTimeout bounds the wait for a started registry to answer.
const startTimeout = 15 * time.Second

// Binaries are the registry programs looked for, in order: Debian's
// package name, then the upstream one.
var binaries = []string{"docker-registry", "registry"}

// Registry is a running local registry.
type Registry struct {
	Addr string // "127.0.0.1:PORT"
	cmd  *exec.Cmd
	done chan error
}

// Start runs a registry on 127.0.0.1:port with its storage in dir, or
// uses the one that already answers there (another berth's). Close stops
// the one it started.
func Start(ctx context.Context, port int, dir string) (*Registry, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	r := &Registry{Addr: addr}
	if answers(ctx, addr) {
		return r, nil
	}
	bin, err := findBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, fmt.Errorf("local registry: %w", err)
	}
	conf := filepath.Join(dir, "config.yml")
	body := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		return nil, fmt.Errorf("local registry: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "registry.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("local registry: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("local registry: starting %s: %w", bin, err)
	}
	r.cmd, r.done = cmd, make(chan error, 1)
	go func() { r.done <- cmd.Wait() }()
	if err := r.waitReady(ctx, filepath.Join(dir, "registry.log")); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

func findBinary() (string, error) {
	for _, b := range binaries {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", errors.New("local registry: neither docker-registry nor registry is installed (on Debian: apt-get install docker-registry)")
}

// waitReady polls /v2/ until the registry answers, it exits, or the deadline.
func (r *Registry) waitReady(ctx context.Context, logPath string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if answers(ctx, r.Addr) {
			return nil
		}
		select {
		case err := <-r.done:
			r.done <- err
			return fmt.Errorf("local registry on %s exited at start (%v; see %s)", r.Addr, err, logPath)
		case <-ctx.Done():
			return fmt.Errorf("local registry on %s did not answer within %s (see %s)", r.Addr, startTimeout, logPath)
		case <-tick.C:
		}
	}
}

// answers reports whether a registry answers GET /v2/ at addr.
func answers(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Close stops the registry if this process started it.
func (r *Registry) Close() error {
	if r == nil || r.cmd == nil {
		return nil
	}
	_ = r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
	return nil
}

// DefaultDir is where the registry keeps its data: the user's cache
// ($XDG_CACHE_HOME, else ~/.cache).
func DefaultDir(home, xdgCache string, port int) string {
	base := xdgCache
	if base == "" {
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "berth", "registry-"+strconv.Itoa(port))
}
