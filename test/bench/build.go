package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Ports of the build scenario: berth's web role and the by-hand containers.
const (
	buildBerthPort = 8093
	buildHandPort  = 8094
)

// runBuild measures a one-file change from source to 2 hosts: berth apply
// (build on the lab's build daemon, push, plan with the digest, deploy)
// against docker build + docker push + the same deploy by hand over SSH,
// in the same run, alternating.
func runBuild(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("out", "build.json", "write the results to `FILE`")
	bin := fs.String("berth", "bin/berth", "the berth binary")
	pick := fs.String("hosts", "h1,h2", "the lab hosts to deploy to (the first is the primary)")
	runs := fs.Int("runs", 5, "measured runs of each (the median is reported)")
	order := fs.Int("order", 120, "position of the rows in the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	all, err := loadLabEnv(1)
	if err != nil {
		return err
	}
	l, err := all.pick(strings.Split(*pick, ","))
	if err != nil {
		return err
	}
	b := &buildBench{env: l, bin: abs, service: fmt.Sprintf("benchbuild%d", os.Getpid()),
		buildHost: "unix://" + filepath.Join(l.dir, "build", "docker.sock")}
	defer b.cleanup()
	res, err := b.measure(ctx, *runs, *order)
	if err != nil {
		return err
	}
	res.Command = "go run ./test/bench build " + shownArgs(args)
	return res.write(*out)
}

// pick keeps the named hosts of the lab, in that order.
func (l *labEnv) pick(names []string) (*labEnv, error) {
	all := *l
	if err := readAllHosts(&all); err != nil {
		return nil, err
	}
	out := *l
	out.hosts = nil
	for _, n := range names {
		found := false
		for _, h := range all.hosts {
			if h.name == strings.TrimSpace(n) {
				out.hosts, found = append(out.hosts, h), true
			}
		}
		if !found {
			return nil, fmt.Errorf("the lab has no host %q", n)
		}
	}
	return &out, nil
}

// readAllHosts fills l.hosts with every host of the lab.
func readAllHosts(l *labEnv) error {
	b, err := os.ReadFile(filepath.Join(l.dir, "client", "hosts"))
	if err != nil {
		return err
	}
	l.hosts = nil
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			l.hosts = append(l.hosts, labHost{f[0], f[1]})
		}
	}
	return nil
}

type buildBench struct {
	env       *labEnv
	bin       string
	service   string
	buildHost string
	dir       string // berth's checkout
	handDir   string // the by-hand build context
}

func (b *buildBench) repo() string { return labRegistry + "/" + b.service }

// measure sets both up (a first deploy each, not measured), then times
// one-file changes, berth and by hand in turn.
func (b *buildBench) measure(ctx context.Context, runs, order int) (*Results, error) {
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	var berthTimes, handTimes []float64
	for i := 0; i <= runs; i++ {
		d, err := b.berthRun(ctx, i)
		if err != nil {
			return nil, err
		}
		h, err := b.handRun(ctx, i)
		if err != nil {
			return nil, err
		}
		if i > 0 { // run 0 warms both up
			berthTimes, handTimes = append(berthTimes, d.Seconds()), append(handTimes, h.Seconds())
		}
	}
	return &Results{When: time.Now().UTC(), Rows: []Row{{
		Order: order, Scenario: fmt.Sprintf("lab, %d hosts, build", len(b.env.hosts)),
		What: "one-file change: build + push + plan + deploy (berth apply)", Berth: berthTimes, Unit: "s",
		RefName: "docker build + docker push + the same deploy by hand over SSH", Ref: handTimes,
		Note: "the image is examples/build (nginx, 380 MB base) built on the lab's build daemon; one layer changes",
	}}}, nil
}

// setup makes berth's git checkout of examples/build and the by-hand copy.
func (b *buildBench) setup(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "bench-build-")
	if err != nil {
		return err
	}
	b.dir, b.handDir = filepath.Join(tmp, "berth"), filepath.Join(tmp, "hand")
	for _, d := range []string{b.dir, b.handDir} {
		if out, err := exec.CommandContext(ctx, "cp", "-r", "examples/build", d).CombinedOutput(); err != nil {
			return fmt.Errorf("cp examples/build: %v: %s", err, out)
		}
	}
	cfg, err := os.ReadFile(filepath.Join(b.dir, "berth.hcl"))
	if err != nil {
		return err
	}
	c := strings.Replace(string(cfg), `service "hello"`, fmt.Sprintf("service %q", b.service), 1)
	c = strings.Replace(c, `"10.77.0.1:5000/hello"`, fmt.Sprintf("%q", b.repo()), 1)
	c = strings.Replace(c, `"8090:80"`, fmt.Sprintf(`"%d:80"`, buildBerthPort), 1)
	c = strings.Replace(c, "hosts   = [host.h1, host.h2]", "hosts   = ["+b.hostRefs()+"]", 1)
	var hosts strings.Builder
	fmt.Fprintf(&hosts, "ssh {\n  user = \"root\"\n  identity = %q\n  known_hosts = %q\n}\n", b.env.key, b.env.knownHosts)
	for _, h := range b.env.hosts {
		fmt.Fprintf(&hosts, "host %q { address = %q }\n", h.name, h.addr)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "berth.hcl"), []byte(c), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.dir, "lab.hcl"), []byte(hosts.String()), 0o644); err != nil {
		return err
	}
	if err := b.git(ctx, "init", "-q"); err != nil {
		return err
	}
	return b.env.eachHost(ctx, func(c *ssh.Client, _ labHost) error {
		_, err := run1(c, fmt.Sprintf("echo %s | docker login -u %s --password-stdin %s >/dev/null", shellQ(b.env.password), b.env.user, labRegistry))
		return err
	})
}

func (b *buildBench) hostRefs() string {
	var refs []string
	for _, h := range b.env.hosts {
		refs = append(refs, "host."+h.name)
	}
	return strings.Join(refs, ", ")
}

func (b *buildBench) git(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", b.dir, "-c", "user.email=bench@berth", "-c", "user.name=bench"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %v: %v: %s", args, err, out)
	}
	return nil
}

// change writes run i into index.html of dir.
func change(dir string, i int) error {
	return os.WriteFile(filepath.Join(dir, "app", "index.html"), []byte(fmt.Sprintf("<h1>hello %d %d</h1>\n", i, time.Now().UnixNano())), 0o644)
}

// berthRun commits a one-file change and times berth apply.
func (b *buildBench) berthRun(ctx context.Context, i int) (time.Duration, error) {
	if err := change(b.dir, i); err != nil {
		return 0, err
	}
	if err := b.git(ctx, "add", "-A"); err != nil {
		return 0, err
	}
	if err := b.git(ctx, "commit", "-q", "-m", fmt.Sprint("run ", i)); err != nil {
		return 0, err
	}
	env := berthEnv("DOCKER_HOST="+b.buildHost, "REGISTRY_PASSWORD="+b.env.password)
	r, err := runBerth(ctx, b.bin, env, false, "--chdir", b.dir, "apply", "--auto-approve")
	return r.Wall, err
}

// handRun does the same by hand: docker build and push on the build
// daemon, then per host pull, replace the container, poll /up.
func (b *buildBench) handRun(ctx context.Context, i int) (time.Duration, error) {
	if err := change(b.handDir, i); err != nil {
		return 0, err
	}
	ref := fmt.Sprintf("%s-hand:%d", b.repo(), i)
	start := time.Now()
	docker := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "docker", append([]string{"-H", b.buildHost}, args...)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(b.env.dir, "build", "docker-config"), "DOCKER_BUILDKIT=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("docker %v: %v: %s", args, err, tail(string(out), 10))
		}
		return nil
	}
	if err := docker("build", "-q", "--network", "none", "--build-arg", "VERSION=built-by-hand", "-t", ref, filepath.Join(b.handDir, "app")); err != nil {
		return 0, err
	}
	if err := docker("push", "-q", ref); err != nil {
		return 0, err
	}
	name := b.service + "-hand"
	err := b.env.eachHost(ctx, func(c *ssh.Client, h labHost) error {
		cmd := fmt.Sprintf("docker pull -q %[1]s >/dev/null && (docker rm -f %[2]s >/dev/null 2>&1; true) && docker run -d --name %[2]s --label berth-bench=%[3]s -p %[4]d:80 %[1]s >/dev/null",
			ref, name, b.service, buildHandPort)
		if _, err := run1(c, cmd); err != nil {
			return err
		}
		return pollUp(ctx, fmt.Sprintf("http://%s:%d/up", h.addr, buildHandPort))
	})
	return time.Since(start), err
}

// pollUp polls url until it answers 200, for up to 30 s.
func pollUp(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200: %w", url, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// eachHost runs f on every host at once over a connection of its own.
func (l *labEnv) eachHost(ctx context.Context, f func(*ssh.Client, labHost) error) error {
	errs := make(chan error, len(l.hosts))
	for _, h := range l.hosts {
		go func() {
			c, err := l.dial(ctx, h)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			errs <- f(c, h)
		}()
	}
	var first error
	for range l.hosts {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// cleanup removes both deployments from the hosts and the checkouts.
func (b *buildBench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = b.env.eachHost(ctx, func(c *ssh.Client, _ labHost) error {
		_, err := run1(c, fmt.Sprintf("docker ps -aq --filter label=berth.service=%[1]s | xargs -r docker rm -f >/dev/null; "+
			"docker ps -aq --filter label=berth-bench=%[1]s | xargs -r docker rm -f >/dev/null; "+
			"docker network ls -q --filter label=berth.service=%[1]s | xargs -r docker network rm >/dev/null; rm -f ~/.berth/roster/%[1]s.json", b.service))
		return err
	})
	if b.dir != "" {
		os.RemoveAll(filepath.Dir(b.dir))
	}
}

func shellQ(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
