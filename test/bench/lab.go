package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/lang"
)

// Lab bench settings: the services publish ports no other test uses.
const (
	labRegistry    = "10.77.0.1:5000"
	berthPort      = 8081 // host port of berth's web role (8083, 8085, ... for a second, third parallelism)
	handPort       = 8082 // host port of the by-hand web containers
	readinessDelay = 500 * time.Millisecond
	labApplyTarget = 1.2
	labPlanTarget  = 2.0
)

// labEnv is the running lab as its client files describe it.
type labEnv struct {
	dir, key, knownHosts string
	user, password       string
	hosts                []labHost
	sshConfig            *ssh.ClientConfig
}

type labHost struct{ name, addr string }

func loadLabEnv(n int) (*labEnv, error) {
	dir := os.Getenv("BERTH_LAB_DIR")
	if dir == "" {
		dir = "/tmp/berth-lab"
	}
	c := filepath.Join(dir, "client")
	l := &labEnv{dir: dir, key: filepath.Join(c, "id_ed25519"), knownHosts: filepath.Join(c, "known_hosts")}
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(c, name))
		return strings.TrimSpace(string(b)), err
	}
	var err error
	if l.user, err = read("registry_user"); err != nil {
		return nil, fmt.Errorf("the lab is not up (make lab-up): %w", err)
	}
	if l.password, err = read("registry_password"); err != nil {
		return nil, err
	}
	hosts, err := read("hosts")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(hosts, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			l.hosts = append(l.hosts, labHost{f[0], f[1]})
		}
	}
	if len(l.hosts) < n {
		return nil, fmt.Errorf("the lab has %d hosts, the bench needs %d (make lab-up HOSTS=%d)", len(l.hosts), n, n)
	}
	l.hosts = l.hosts[:n]
	pem, err := os.ReadFile(l.key)
	if err != nil {
		return nil, err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, err
	}
	hk, err := knownhosts.New(l.knownHosts)
	if err != nil {
		return nil, err
	}
	l.sshConfig = &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: hk, Timeout: 10 * time.Second}
	return l, nil
}

// roles splits the hosts: web on the first two thirds (the first is the
// primary host), worker on the rest.
func (l *labEnv) roles() (web, worker []labHost) {
	n := len(l.hosts)
	cut := n - n/3
	return l.hosts[:cut], l.hosts[cut:]
}

func (l *labEnv) writeConfig(dir, service string, par, port int) error {
	web, worker := l.roles()
	refs := func(hs []labHost) string {
		var s []string
		for _, h := range hs {
			s = append(s, "host."+h.name)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "service %q {\n  image = %q\n}\n\n", service, labRegistry+"/app")
	b.WriteString("variable \"version\" {\n  type    = string\n  default = \"v1\"\n}\n\n")
	fmt.Fprintf(&b, "registry {\n  server   = %q\n  username = %q\n  password = env(\"REGISTRY_PASSWORD\")\n  insecure = true\n}\n\n", labRegistry, l.user)
	fmt.Fprintf(&b, "ssh {\n  user        = \"root\"\n  identity    = %q\n  known_hosts = %q\n}\n\n", l.key, l.knownHosts)
	for _, h := range l.hosts {
		fmt.Fprintf(&b, "host %q { address = %q }\n", h.name, h.addr)
	}
	fmt.Fprintf(&b, "\nrole \"web\" {\n  primary = true\n  hosts   = %s\n  cmd     = [\"/app\", \"serve\"]\n  ports   = [\"%d:8080\"]\n", refs(web), port)
	b.WriteString("  healthcheck {\n    cmd      = [\"/app\", \"check\"]\n    interval = \"1s\"\n    deadline = \"20s\"\n  }\n}\n\n")
	if len(worker) > 0 {
		fmt.Fprintf(&b, "role \"worker\" {\n  hosts = %s\n  cmd   = [\"/app\", \"work\"]\n}\n\n", refs(worker))
	}
	fmt.Fprintf(&b, "deploy {\n  version         = var.version\n  parallelism     = %d\n  readiness_delay = %q\n}\n", par, readinessDelay.String())
	return os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(b.String()), 0o644)
}

// runLab measures berth apply and plan on the lab against the same work
// done by hand over SSH, interleaved: berth, by hand, berth, by hand, ...
func runLab(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	out := fs.String("out", "lab.json", "write the results to `FILE`")
	bin := fs.String("berth", "bin/berth", "the berth binary")
	n := fs.Int("hosts", 3, "hosts to deploy to (h1..hN of the lab)")
	runs := fs.Int("runs", 5, "measured runs of each (the median is reported)")
	pars := fs.String("parallelism", "10", "deploy.parallelism values to measure, comma-separated")
	order := fs.Int("order", 100, "position of the rows in the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	l, err := loadLabEnv(*n)
	if err != nil {
		return err
	}
	var ps []int
	for _, s := range strings.Split(*pars, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || p <= 0 {
			return fmt.Errorf("bad parallelism %q", s)
		}
		ps = append(ps, p)
	}
	if err := l.waitHosts(ctx, 3*time.Minute); err != nil {
		return err
	}
	b := &labBench{env: l, bin: abs, id: fmt.Sprintf("bench%d", os.Getpid())}
	defer b.cleanup()
	res, err := b.measure(ctx, ps, *runs, *order)
	if err != nil {
		return err
	}
	res.Command = "go run ./test/bench lab " + shownArgs(args)
	return res.write(*out)
}

type labBench struct {
	env      *labEnv
	bin      string
	id       string   // service name prefix, unique to this run
	dirs     []string // one configuration per parallelism
	services []string // every service label the bench deploys
	hand     string   // the by-hand containers' service label
	retries  int      // berth runs retried after the lab was disturbed
}

// digests resolves app:v1 and app:v2 to the digests berth deploys.
func (b *labBench) digests(ctx context.Context) (map[string]string, error) {
	r := registry.New(registry.Options{Server: labRegistry, Username: b.env.user, Password: lang.NewSecret("registry_password", b.env.password), Insecure: true})
	out := map[string]string{}
	for _, v := range []string{"v1", "v2"} {
		d, err := r.Resolve(ctx, labRegistry+"/app:"+v)
		if err != nil {
			return nil, err
		}
		out[v] = labRegistry + "/app@" + d
	}
	return out, nil
}

func (b *labBench) measure(ctx context.Context, pars []int, runs, order int) (*Results, error) {
	n := len(b.env.hosts)
	images, err := b.digests(ctx)
	if err != nil {
		return nil, err
	}
	env := berthEnv("REGISTRY_PASSWORD="+b.env.password, "BERTH_LOG=debug")
	// One configuration (one service) per parallelism; warm-up: deploy v1
	// then v2, which pulls both images on every host.
	for j, p := range pars {
		dir, err := os.MkdirTemp("", "berth-bench-lab-")
		if err != nil {
			return nil, err
		}
		b.dirs = append(b.dirs, dir)
		svc := fmt.Sprintf("%s-p%d", b.id, p)
		b.services = append(b.services, svc)
		if err := b.env.writeConfig(dir, svc, p, berthPort+2*j); err != nil {
			return nil, err
		}
		for _, v := range []string{"v1", "v2"} {
			if _, err := b.berth(ctx, env, dir, "apply", "--auto-approve", "--var", "version="+v); err != nil {
				return nil, fmt.Errorf("warm-up: %w", err)
			}
		}
	}
	b.hand = b.id + "-hand"
	h := &byHand{env: b.env, service: b.hand, images: []string{images["v1"], images["v2"]}}
	if err := h.warmUp(ctx, images["v1"]); err != nil {
		return nil, fmt.Errorf("by-hand warm-up: %w", err)
	}
	applies := make([][]float64, len(pars))
	conns := make([][]float64, len(pars))
	rss := make([][]float64, len(pars))
	var floor, plans, planFloor, planGo, planConns []float64
	berthOn, handOn := "v2", "v1"
	for i := 0; i < runs; i++ {
		next := map[string]string{"v1": "v2", "v2": "v1"}
		for j, dir := range b.dirs {
			retries := b.retries
			r, err := b.berth(ctx, env, dir, "apply", "--auto-approve", "--var", "version="+next[berthOn])
			if err != nil {
				return nil, err
			}
			if b.retries != retries {
				continue // part of the work was done by the failed attempt: not a sample
			}
			applies[j] = append(applies[j], r.Wall.Seconds())
			conns[j] = append(conns[j], float64(strings.Count(r.Out, `msg="ssh connected"`))/float64(n))
			rss[j] = append(rss[j], r.RSSMB)
		}
		berthOn = next[berthOn]
		d, err := h.deploy(ctx, images[next[handOn]])
		if err != nil { // a host was cut off or the lab restarted: start over once
			fmt.Fprintf(os.Stderr, "bench: by hand failed, starting it over: %v\n", firstLine(err))
			if err := b.env.waitHosts(ctx, 3*time.Minute); err != nil {
				return nil, err
			}
			if err := h.reset(ctx, images[handOn]); err != nil {
				return nil, fmt.Errorf("by hand: %w", err)
			}
			if d, err = h.deploy(ctx, images[next[handOn]]); err != nil {
				return nil, fmt.Errorf("by hand: %w", err)
			}
		}
		handOn = next[handOn]
		floor = append(floor, d.Seconds())
		// plan: berth against one parallel round of `ssh host docker ps`.
		r, err := b.berth(ctx, env, b.dirs[0], "plan", "--var", "version="+next[berthOn])
		if err != nil {
			return nil, err
		}
		plans = append(plans, r.Wall.Seconds())
		planConns = append(planConns, float64(strings.Count(r.Out, `msg="ssh connected"`))/float64(n))
		d, err = b.env.parallelDockerPS(ctx)
		if err != nil {
			if err := b.env.waitHosts(ctx, 3*time.Minute); err != nil {
				return nil, err
			}
			if d, err = b.env.parallelDockerPS(ctx); err != nil {
				return nil, err
			}
		}
		planFloor = append(planFloor, d.Seconds())
		if d, err = b.env.parallelGoDockerPS(ctx); err != nil {
			return nil, err
		}
		planGo = append(planGo, d.Seconds())
		fmt.Fprintf(os.Stderr, "lab %d hosts run %d: berth apply %v, by hand %.2fs, plan %.2fs, ssh docker ps %.2fs, x/crypto %.2fs\n", n, i+1, lastOf(applies), floor[i], plans[i], planFloor[i], planGo[i])
	}
	web, worker := b.env.roles()
	scen := fmt.Sprintf("lab, %d hosts (web %d, worker %d)", n, len(web), len(worker))
	res := &Results{When: time.Now()}
	for j, p := range pars {
		row := Row{Order: order + j, Scenario: scen, What: fmt.Sprintf("apply v1↔v2, parallelism %d", p), Berth: applies[j],
			RefName: "by hand", Ref: floor, ConnsPerHost: median(conns[j]), RSSMB: median(rss[j]), Target: fmt.Sprintf("≤ %.1f× by hand", labApplyTarget)}
		row.Met = boolp(len(applies[j]) > 0 && median(applies[j]) <= labApplyTarget*median(floor))
		res.Rows = append(res.Rows, row)
	}
	res.Rows = append(res.Rows, Row{Order: order + len(pars), Scenario: scen, What: "plan", Berth: plans, RefName: "parallel `ssh host docker ps`", Ref: planFloor,
		ConnsPerHost: median(planConns), Target: fmt.Sprintf("≤ %.0f× ssh", labPlanTarget), Met: boolp(median(plans) <= labPlanTarget*median(planFloor))})
	res.Rows = append(res.Rows, Row{Order: order + len(pars) + 1, Scenario: scen, What: "plan", Berth: plans, RefName: "parallel x/crypto/ssh dial + `docker ps`", Ref: planGo,
		ConnsPerHost: median(planConns), Target: fmt.Sprintf("≤ %.0f× ssh", labPlanTarget), Met: boolp(median(plans) <= labPlanTarget*median(planGo)),
		Note: "the same SSH library as berth, in the bench process (no process start)"})
	res.Notes = append(res.Notes, fmt.Sprintf("Lab, %d hosts: \"by hand\" is one x/crypto/ssh connection per host, opened in parallel, then on the primary web host "+
		"`docker stop OLD; docker run -d --name NEW --network berth-SERVICE -p %d:8080 app@DIGEST /app serve` and `docker exec NEW /app check` every 0.1 s until it passes, "+
		"then on every other host at once the same for web, or for the worker `docker run -d ... /app work; sleep %s; docker stop OLD`; "+
		"the clock stops when the last host is done. Images are on the hosts already (warm-up deploys) and both sides start the same image by digest. "+
		"berth's figure is the whole `berth apply --auto-approve` process: load the config, connect, take the lock, read the hosts, resolve the digest, plan, apply, audit, release.",
		n, handPort, readinessDelay))
	return res, nil
}

func lastOf(xs [][]float64) []string {
	var s []string
	for _, x := range xs {
		if len(x) > 0 {
			s = append(s, fmt.Sprintf("%.2fs", x[len(x)-1]))
		}
	}
	return s
}

// berth runs the binary in dir. The lab is shared: when a run fails
// because another test cut a host off or restarted the lab, it waits for
// every host to answer again and retries, twice at most.
func (b *labBench) berth(ctx context.Context, env []string, dir string, args ...string) (berthRun, error) {
	var r berthRun
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			b.retries++
			fmt.Fprintf(os.Stderr, "bench: retrying after: %v\n", firstLine(err))
			if werr := b.env.waitHosts(ctx, 3*time.Minute); werr != nil {
				return r, errors.Join(err, werr)
			}
		}
		r, err = runBerth(ctx, b.bin, env, false, append([]string{"--chdir", dir}, args...)...)
		if err == nil || ctx.Err() != nil {
			return r, err
		}
	}
	return r, err
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// waitHosts waits until every host accepts an SSH connection.
func (l *labEnv) waitHosts(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, h := range l.hosts {
		for {
			c, err := l.dial(ctx, h)
			if err == nil {
				_ = c.Close()
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("lab host %s does not answer: %w", h.name, err)
			}
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
	return nil
}

// cleanup removes every container, lock and audit log the bench made.
func (b *labBench) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, dir := range b.dirs {
		_ = os.RemoveAll(dir)
	}
	services := append(b.services, b.id+"-hand")
	var script strings.Builder
	for _, s := range services {
		fmt.Fprintf(&script, "docker ps -aq --filter label=berth.service=%[1]s | xargs -r docker rm -f >/dev/null; "+
			"docker network ls -q --filter label=berth.service=%[1]s | xargs -r docker network rm >/dev/null 2>&1; "+
			"rm -rf \"$HOME/.berth/locks/%[1]s\" \"$HOME/.berth/audit/%[1]s.log\"\n", s)
	}
	var wg sync.WaitGroup
	for _, h := range b.env.hosts {
		wg.Go(func() {
			c, err := b.env.dial(ctx, h)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: clean-up of %s: %v\n", h.name, err)
				return
			}
			defer c.Close()
			if _, err := run1(c, script.String()); err != nil {
				fmt.Fprintf(os.Stderr, "bench: clean-up of %s: %v\n", h.name, err)
			}
		})
	}
	wg.Wait()
}

func (l *labEnv) dial(ctx context.Context, h labHost) (*ssh.Client, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", net.JoinHostPort(h.addr, "22"))
	if err != nil {
		return nil, err
	}
	c, chans, reqs, err := ssh.NewClientConn(raw, net.JoinHostPort(h.addr, "22"), l.sshConfig)
	if err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("%s: %w", h.name, err)
	}
	return ssh.NewClient(c, chans, reqs), nil
}

// run1 runs cmd in a new session of c.
func run1(c *ssh.Client, cmd string) (string, error) {
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	out, err := s.CombinedOutput(cmd)
	if err != nil {
		return string(out), fmt.Errorf("%q: %w: %s", cmd, err, tail(string(out), 5))
	}
	return string(out), nil
}

// parallelDockerPS times one `ssh root@HOST docker ps` per host, all at
// once, with the OpenSSH client.
func (l *labEnv) parallelDockerPS(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, len(l.hosts))
	var wg sync.WaitGroup
	for i, h := range l.hosts {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, "ssh", "-i", l.key, "-o", "UserKnownHostsFile="+l.knownHosts, "-o", "StrictHostKeyChecking=yes",
				"-o", "BatchMode=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none", "root@"+h.addr, "docker", "ps")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("ssh %s docker ps: %w: %s", h.name, err, tail(string(out), 3))
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// parallelGoDockerPS times one new x/crypto/ssh connection per host and
// `docker ps` on it, all hosts at once, inside this process.
func (l *labEnv) parallelGoDockerPS(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, len(l.hosts))
	var wg sync.WaitGroup
	for i, h := range l.hosts {
		wg.Go(func() {
			c, err := l.dial(ctx, h)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			_, errs[i] = run1(c, "docker ps")
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// byHand deploys with plain docker commands over one SSH connection per
// host: the floor berth is compared with.
type byHand struct {
	env     *labEnv
	service string
	images  []string // every image the runs use, by digest
	seq     int
	current map[string]string // host -> running container name
}

func (h *byHand) name(host, role string) string {
	return fmt.Sprintf("%s-%s-%d", h.service, role, h.seq)
}

// network is the by-hand service's own network: berth starts every
// container on the service's user-defined bridge (berth-SERVICE), whose
// start costs more than one on Docker's default bridge, so the floor does
// the same.
func (h *byHand) network() string { return "berth-" + h.service }

func (h *byHand) runCmd(role, name, image string) string {
	label := "--label berth.service=" + h.service + " --network " + h.network()
	if role == "web" {
		return fmt.Sprintf("docker run -d --name %s %s -p %d:8080 %s /app serve >/dev/null", name, label, handPort, image)
	}
	return fmt.Sprintf("docker run -d --name %s %s %s /app work >/dev/null", name, label, image)
}

// ensureImages pulls what a host lacks of images (not timed: the floor
// starts from images already on the hosts, as berth's runs do), through
// the Engine API on the SSH connection, with the registry login in the
// request only (nothing is written to the hosts).
func (h *byHand) ensureImages(ctx context.Context) error {
	auth := &dockerapi.Auth{Username: h.env.user, Password: h.env.password, ServerAddress: labRegistry}
	return h.each(ctx, h.env.hosts, func(c *ssh.Client, _ labHost) error {
		d := dockerapi.New(c)
		defer d.Close()
		for _, img := range h.images {
			ok, err := d.ImageExists(ctx, img)
			if err != nil {
				return err
			}
			if !ok {
				if err := d.Pull(ctx, img, auth); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// warmUp starts the first containers (not timed).
func (h *byHand) warmUp(ctx context.Context, image string) error {
	if err := h.ensureImages(ctx); err != nil {
		return err
	}
	h.current = map[string]string{}
	web, _ := h.env.roles()
	return h.each(ctx, h.env.hosts, func(c *ssh.Client, host labHost) error {
		role := roleOf(host, web)
		name := h.name(host.name, role)
		mk := fmt.Sprintf("docker network inspect %[1]s >/dev/null 2>&1 || docker network create --label berth.service=%[2]s %[1]s >/dev/null", h.network(), h.service)
		if _, err := run1(c, mk); err != nil {
			return err
		}
		if _, err := run1(c, h.runCmd(role, name, image)); err != nil {
			return err
		}
		h.setCurrent(host.name, name)
		return nil
	})
}

// reset removes every by-hand container and starts the first ones again.
func (h *byHand) reset(ctx context.Context, image string) error {
	err := h.each(ctx, h.env.hosts, func(c *ssh.Client, _ labHost) error {
		_, err := run1(c, "docker ps -aq --filter label=berth.service="+h.service+" | xargs -r docker rm -f >/dev/null")
		return err
	})
	if err != nil {
		return err
	}
	h.seq++
	return h.warmUp(ctx, image)
}

var currentMu sync.Mutex

func (h *byHand) setCurrent(host, name string) {
	currentMu.Lock()
	h.current[host] = name
	currentMu.Unlock()
}

func roleOf(h labHost, web []labHost) string {
	for _, w := range web {
		if w == h {
			return "web"
		}
	}
	return "worker"
}

func (h *byHand) each(ctx context.Context, hosts []labHost, f func(*ssh.Client, labHost) error) error {
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, host := range hosts {
		wg.Go(func() {
			c, err := h.env.dial(ctx, host)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			errs[i] = f(c, host)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deploy moves every host to image and returns the time it took: connect
// to every host, the primary web host first, then all others at once.
func (h *byHand) deploy(ctx context.Context, image string) (time.Duration, error) {
	if err := h.ensureImages(ctx); err != nil {
		return 0, err
	}
	h.seq++
	web, _ := h.env.roles()
	start := time.Now()
	clients := make([]*ssh.Client, len(h.env.hosts))
	errs := make([]error, len(h.env.hosts))
	var wg sync.WaitGroup
	for i, host := range h.env.hosts {
		wg.Go(func() { clients[i], errs[i] = h.env.dial(ctx, host) })
	}
	wg.Wait()
	defer func() {
		for _, c := range clients {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	old := map[string]string{}
	for k, v := range h.current {
		old[k] = v
	}
	step := func(i int) error {
		host := h.env.hosts[i]
		role := roleOf(host, web)
		name := h.name(host.name, role)
		var script string
		if role == "web" {
			script = fmt.Sprintf("docker stop %s >/dev/null && %s && until docker exec %s /app check >/dev/null 2>&1; do sleep 0.1; done",
				old[host.name], h.runCmd(role, name, image), name)
		} else {
			script = fmt.Sprintf("%s && sleep %g && docker stop %s >/dev/null", h.runCmd(role, name, image), readinessDelay.Seconds(), old[host.name])
		}
		if _, err := run1(clients[i], script); err != nil {
			return err
		}
		h.setCurrent(host.name, name)
		return nil
	}
	if err := step(0); err != nil {
		return 0, err
	}
	for i := 1; i < len(h.env.hosts); i++ {
		wg.Go(func() { errs[i] = step(i) })
	}
	wg.Wait()
	took := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	// Not timed: remove the stopped containers.
	for i, host := range h.env.hosts {
		wg.Go(func() { _, errs[i] = run1(clients[i], "docker rm "+old[host.name]+" >/dev/null") })
	}
	wg.Wait()
	return took, errors.Join(errs...)
}
