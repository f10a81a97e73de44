package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Proxy bench settings: host ports no other test or bench uses.
const (
	proxyBenchDirectPort = 8091 // the web role publishing its port itself
	proxyBenchProxyPort  = 8092 // kamal-proxy's host port
	proxyBenchImage      = labRegistry + "/kamal-proxy:v0.9.2"
	proxyBenchTarget     = 1.3
)

// runProxy measures a redeploy of the web role on two hosts behind
// kamal-proxy against the same redeploy publishing the port directly,
// interleaved: direct, proxied, direct, proxied, ...
func runProxy(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	out := fs.String("out", "proxy.json", "write the results to `FILE`")
	bin := fs.String("berth", "bin/berth", "the berth binary")
	runs := fs.Int("runs", 5, "measured runs of each (the median is reported)")
	order := fs.Int("order", 150, "position of the row in the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	l, err := loadLabEnv(2)
	if err != nil {
		return err
	}
	if err := l.waitHosts(ctx, 3*time.Minute); err != nil {
		return err
	}
	b := &labBench{env: l, bin: abs, id: fmt.Sprintf("benchpx%d", os.Getpid())}
	defer b.proxyCleanup()
	env := berthEnv("REGISTRY_PASSWORD="+l.password, "BERTH_LOG=debug")
	for _, proxied := range []bool{false, true} {
		dir, err := os.MkdirTemp("", "berth-bench-proxy-")
		if err != nil {
			return err
		}
		b.dirs = append(b.dirs, dir)
		svc := fmt.Sprintf("%s-%s", b.id, map[bool]string{false: "direct", true: "proxied"}[proxied])
		b.services = append(b.services, svc)
		if err := l.writeProxyConfig(dir, svc, proxied); err != nil {
			return err
		}
		for _, v := range []string{"v1", "v2"} { // warm-up: both images on both hosts, the proxy up
			if _, err := b.berth(ctx, env, dir, "apply", "--auto-approve", "--var", "version="+v); err != nil {
				return fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	var direct, proxied []float64
	on := "v2"
	for i := 0; i < *runs; i++ {
		next := map[string]string{"v1": "v2", "v2": "v1"}[on]
		for j, dir := range b.dirs {
			r, err := b.berth(ctx, env, dir, "apply", "--auto-approve", "--var", "version="+next)
			if err != nil {
				return err
			}
			if j == 0 {
				direct = append(direct, r.Wall.Seconds())
			} else {
				proxied = append(proxied, r.Wall.Seconds())
			}
		}
		on = next
		fmt.Fprintf(os.Stderr, "proxy run %d: published ports %.2fs, behind kamal-proxy %.2fs\n", i+1, direct[i], proxied[i])
	}
	res := &Results{When: time.Now(), Command: "go run ./test/bench proxy " + shownArgs(args)}
	res.Rows = append(res.Rows, Row{Order: *order, Scenario: "lab, 2 hosts (web only)", What: "redeploy v1↔v2 behind kamal-proxy",
		Berth: proxied, RefName: "same, port published", Ref: direct, Target: fmt.Sprintf("≤ %.1f× published", proxyBenchTarget),
		Met: boolp(median(proxied) <= proxyBenchTarget*median(direct))})
	res.Notes = append(res.Notes, "Proxy: the same web role on h1 and h2 with the same health check (`/app check`), once publishing its port "+
		"(berth stops the old container, starts the new one, waits for it) and once behind kamal-proxy v0.9.2 (berth starts the new "+
		"container beside the old one, `kamal-proxy deploy` health-checks it and switches, then berth stops the old one). Both figures "+
		"are the whole `berth apply --auto-approve` process.")
	return res.write(*out)
}

// writeProxyConfig writes the web role on h1 and h2, behind the proxy or not.
func (l *labEnv) writeProxyConfig(dir, service string, proxied bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "service %q {\n  image = %q\n}\n\n", service, labRegistry+"/app")
	b.WriteString("variable \"version\" {\n  type    = string\n  default = \"v1\"\n}\n\n")
	fmt.Fprintf(&b, "registry {\n  server   = %q\n  username = %q\n  password = env(\"REGISTRY_PASSWORD\")\n  insecure = true\n}\n\n", labRegistry, l.user)
	fmt.Fprintf(&b, "ssh {\n  user        = \"root\"\n  identity    = %q\n  known_hosts = %q\n}\n\n", l.key, l.knownHosts)
	for _, h := range l.hosts[:2] {
		fmt.Fprintf(&b, "host %q { address = %q }\n", h.name, h.addr)
	}
	fmt.Fprintf(&b, "\nproxy {\n  image     = %q\n  http_port = %d\n}\n", proxyBenchImage, proxyBenchProxyPort)
	fmt.Fprintf(&b, "\nrole \"web\" {\n  primary = true\n  hosts   = [host.%s, host.%s]\n  cmd     = [\"/app\", \"serve\"]\n", l.hosts[0].name, l.hosts[1].name)
	b.WriteString("  healthcheck {\n    cmd      = [\"/app\", \"check\"]\n    interval = \"1s\"\n    deadline = \"20s\"\n  }\n")
	if proxied {
		b.WriteString("  proxy {\n    app_port = 8080\n  }\n")
	} else {
		fmt.Fprintf(&b, "  ports   = [\"%d:8080\"]\n", proxyBenchDirectPort)
	}
	b.WriteString("}\n\ndeploy {\n  version = var.version\n}\n")
	return os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(b.String()), 0o644)
}

// proxyCleanup removes the bench's containers, the proxy, its network and
// state volume from both hosts, and the configurations.
func (b *labBench) proxyCleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var filters []string
	for _, s := range b.services {
		filters = append(filters, fmt.Sprintf("docker ps -aq --filter label=berth.service=%[1]s | xargs -r docker rm -f >/dev/null; "+
			"docker network ls -q --filter label=berth.service=%[1]s | xargs -r docker network rm >/dev/null 2>&1;", s))
	}
	// The proxy belongs to no service: it goes by its own label.
	cmd := strings.Join(filters, " ") + " docker ps -aq --filter label=berth.proxy=true | xargs -r docker rm -f >/dev/null 2>&1;" +
		" docker network rm berth >/dev/null 2>&1; docker volume rm berth-proxy-config >/dev/null 2>&1; true"
	for _, h := range b.env.hosts[:2] {
		c, err := b.env.dial(ctx, h)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: clean-up of %s: %v\n", h.name, err)
			continue
		}
		if _, err := run1(c, cmd); err != nil {
			fmt.Fprintf(os.Stderr, "bench: clean-up of %s: %v\n", h.name, err)
		}
		c.Close()
	}
	for _, d := range b.dirs {
		os.RemoveAll(d)
	}
}
