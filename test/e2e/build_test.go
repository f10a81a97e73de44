//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildHost is the lab's build daemon (make lab-up starts it).
func buildHost(t *testing.T) string {
	t.Helper()
	h := os.Getenv("BERTH_LAB_BUILD_HOST")
	if h == "" {
		h = "unix://" + filepath.Join(Lab(t).Dir, "build", "docker.sock")
	}
	return h
}

// buildCheckout copies examples/build into a fresh git checkout, with the
// lab's hosts h1 and h2 (of BERTH_E2E_HOSTS) and image repository repo;
// registry replaces the registry block when not "".
func buildCheckout(t *testing.T, l *LabEnv, service, repo, registry string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cp := exec.Command("cp", "-r", filepath.Join(root, "examples", "build")+"/.", dir)
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "berth.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `service "hello"`, fmt.Sprintf("service %q", service), 1)
	cfg = strings.Replace(cfg, `"10.77.0.1:5000/hello"`, fmt.Sprintf("%q", repo), 1)
	if registry != "" {
		cfg = regexp.MustCompile(`(?s)\nregistry \{.*?\n\}\n`).ReplaceAllString(cfg, "\n"+registry)
	}
	write(t, filepath.Join(dir, "berth.hcl"), cfg)
	write(t, filepath.Join(dir, "lab.hcl"), l.SSHBlock()+l.HostBlocks("h1", "h2"))
	git(t, dir, "init", "-q")
	commitAll(t, dir, "first")
	return dir
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=e2e@berth", "-c", "user.name=e2e"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitAll(t *testing.T, dir, msg string) string {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", msg)
	return git(t, dir, "rev-parse", "--short=7", "HEAD")
}

var digestRE = regexp.MustCompile(`= (sha256:[0-9a-f]{64})`)

// planDigest is the image digest a plan printed.
func planDigest(t *testing.T, out string) string {
	t.Helper()
	m := digestRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in the plan:\n%s", out)
	}
	return m[1]
}

// TestBuildApply: from a clean checkout apply builds, pushes, plans with the
// pushed digest and deploys; a second apply builds nothing and changes
// nothing; a one-file change rebuilds from the cache and deploys.
func TestBuildApply(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "build")
	repo := Registry + "/" + svc
	dir := buildCheckout(t, l, svc, repo, "")
	env := map[string]string{"DOCKER_HOST": buildHost(t)}

	r := l.BerthEnv(t, dir, env, "apply", "--auto-approve")
	if r.Code != 0 {
		t.Fatalf("first apply: %s", r)
	}
	if !strings.Contains(r.Stderr, "build: pushed "+repo+":") {
		t.Errorf("first apply did not build and push:\n%s", r)
	}
	digest := planDigest(t, r.Stdout)
	for _, h := range []string{"h1", "h2"} {
		cs := l.Containers(t, h, svc)
		if len(cs) != 1 || cs[0].State != "running" {
			t.Fatalf("%s: containers %+v", h, cs)
		}
		got := l.MustSSH(t, h, "docker inspect --format '{{index .RepoDigests 0}}' "+cs[0].Image)
		if !strings.HasSuffix(strings.TrimSpace(got), "@"+digest) {
			t.Errorf("%s runs %s, the plan said %s", h, got, digest)
		}
	}

	r = l.BerthEnv(t, dir, env, "apply", "--auto-approve")
	if r.Code != 0 || !strings.Contains(r.Stderr, "nothing to build") || strings.Contains(r.Stderr, "build: pushed") ||
		!strings.Contains(r.Stdout, "No changes.") {
		t.Errorf("second apply built or changed something:\n%s", r)
	}

	write(t, filepath.Join(dir, "app", "index.html"), "<h1>hello again</h1>\n")
	sha := commitAll(t, dir, "one file")
	r = l.BerthEnv(t, dir, env, "apply", "--auto-approve")
	if r.Code != 0 {
		t.Fatalf("apply after a change: %s", r)
	}
	if !regexp.MustCompile(`build: \[\d/\d\] RUN .*CACHED`).MatchString(r.Stderr) {
		t.Errorf("the unchanged step did not come from the cache:\n%s", r.Stderr)
	}
	if d := planDigest(t, r.Stdout); d == digest {
		t.Errorf("the change kept digest %s", d)
	}
	page := l.MustSSH(t, "h2", "docker exec "+svc+"-web-"+sha+" cat /var/www/html/index.html")
	if !strings.Contains(page, "hello again") {
		t.Errorf("h2 serves %q", page)
	}
}

// TestBuildLocalRegistry: with registry { local = true } the image goes to
// a registry on the loopback of the build machine and the hosts pull it
// through a port forwarded over SSH; no new socket listens on a host's lab
// address, and the lab registry is not used.
func TestBuildLocalRegistry(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "buildlocal")
	port := 5597 // fixed: the local registry keeps its data per port, so a second run pushes only what changed
	dir := buildCheckout(t, l, svc, svc, fmt.Sprintf("registry {\n  local = true\n  port  = %d\n}\n", port))
	// No health check: the new container counts as healthy after the
	// readiness delay, which keeps the apply (and its forward) open long
	// enough to look at the host's sockets.
	cfg, _ := os.ReadFile(filepath.Join(dir, "berth.hcl"))
	c := regexp.MustCompile(`(?s)\n  healthcheck \{.*?\n  \}\n`).ReplaceAllString(string(cfg), "\n")
	write(t, filepath.Join(dir, "berth.hcl"), c+"deploy {\n  readiness_delay = \"4s\"\n}\n")
	commitAll(t, dir, "no health check")
	before := labSockets(t, l, "h1")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, BerthPath(t), "apply", "--auto-approve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+buildHost(t), "REGISTRY_PASSWORD=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var stdout strings.Builder
	started := regexp.MustCompile(`h1/web\s+start\s+done`)
	seen := false
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		if seen || !started.MatchString(sc.Text()) {
			continue
		}
		seen = true
		// The step boundary: the new container started, the apply waits
		// for its readiness; the forward is up.
		during := l.MustSSH(t, "h1", "ss -ltnH")
		if !strings.Contains(during, fmt.Sprintf("127.0.0.1:%d ", port)) {
			t.Errorf("no forward on h1's loopback during the apply:\n%s", during)
		}
		if extra := newSockets(before, labSockets(t, l, "h1")); len(extra) > 0 {
			t.Errorf("new sockets on h1's lab address during the apply: %v", extra)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("apply: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !seen {
		t.Fatalf("no start step seen:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("build: pushed 127.0.0.1:%d/%s:", port, svc)) {
		t.Errorf("not pushed to the local registry:\n%s", stderr.String())
	}
	for _, h := range []string{"h1", "h2"} {
		img := l.MustSSH(t, h, "docker ps --filter label=berth.service="+svc+" --format '{{.Image}}'")
		if !strings.HasPrefix(strings.TrimSpace(img), fmt.Sprintf("127.0.0.1:%d/%s", port, svc)) {
			t.Errorf("%s runs %q", h, img)
		}
		if s := l.MustSSH(t, h, "ss -ltnH"); strings.Contains(s, fmt.Sprintf(":%d ", port)) {
			t.Errorf("%s still listens on the registry port after the apply:\n%s", h, s)
		}
	}
	r := l.BerthEnv(t, dir, map[string]string{"DOCKER_HOST": buildHost(t), "REGISTRY_PASSWORD": ""}, "plan", "--detailed-exitcode")
	if r.Code != 0 || !strings.Contains(r.Stderr, "nothing to build") {
		t.Errorf("second plan: %s", r)
	}
}

// labSockets lists the listening TCP sockets of a host that are not on
// its loopback.
func labSockets(t *testing.T, l *LabEnv, host string) []string {
	t.Helper()
	var out []string
	for _, line := range Lines(l.MustSSH(t, host, "ss -ltnH")) {
		f := strings.Fields(line)
		if len(f) >= 4 && !strings.HasPrefix(f[3], "127.") && !strings.HasPrefix(f[3], "[::1]") {
			out = append(out, f[3])
		}
	}
	return out
}

func newSockets(before, after []string) []string {
	var out []string
	for _, s := range after {
		if !contains(before, s) && !strings.HasSuffix(s, ":8090") {
			out = append(out, s)
		}
	}
	return out
}

// TestBuildSecret: a build secret is readable during the build and absent
// from the image's history, the plan file and every output.
func TestBuildSecret(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "buildsecret")
	repo := Registry + "/" + svc
	dir := buildCheckout(t, l, svc, repo, "")
	secret := "tok-" + UniqueName("s")
	cfg, _ := os.ReadFile(filepath.Join(dir, "berth.hcl"))
	c := strings.Replace(string(cfg), `network = "none"`, "network = \"none\"\n    secrets = { TOKEN = env(\"BUILD_TOKEN\") }", 1)
	write(t, filepath.Join(dir, "berth.hcl"), c)
	write(t, filepath.Join(dir, "app", "Dockerfile"), "FROM "+Registry+"/nginx:bookworm\n"+
		// BuildKit's cache does not key on secret values: the service's
		// name makes the step new.
		"RUN --mount=type=secret,id=TOKEN echo "+svc+" && sha256sum /run/secrets/TOKEN | cut -c1-64 > /token.sha && cat /run/secrets/TOKEN\n")
	commitAll(t, dir, "secret")
	env := map[string]string{"DOCKER_HOST": buildHost(t), "BUILD_TOKEN": secret}
	plan := filepath.Join(t.TempDir(), "plan.json")
	r := l.BerthEnv(t, dir, env, "plan", "--out", plan)
	if r.Code != 0 {
		t.Fatalf("plan: %s", r)
	}
	b, _ := os.ReadFile(plan)
	for what, s := range map[string]string{"stdout": r.Stdout, "stderr": r.Stderr, "plan file": string(b)} {
		if strings.Contains(s, secret) {
			t.Errorf("the secret is in the %s", what)
		}
	}
	sha := git(t, dir, "rev-parse", "--short=7", "HEAD")
	docker := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("docker", append([]string{"-H", buildHost(t)}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if h := docker("history", "--no-trunc", repo+":"+sha); strings.Contains(h, secret) {
		t.Errorf("the secret is in docker history:\n%s", h)
	}
	if inspect := docker("image", "inspect", repo+":"+sha); strings.Contains(inspect, secret) {
		t.Error("the secret is in the image's config")
	}
	sum := sha256.Sum256([]byte(secret))
	got := docker("run", "--rm", "--network", "none", "--entrypoint", "cat", repo+":"+sha, "/token.sha")
	if strings.TrimSpace(got) != hex.EncodeToString(sum[:]) {
		t.Errorf("the build did not read the secret: /token.sha is %q", got)
	}
}

// TestBuildFailingStep: a failing RUN fails plan with the step's output,
// and no host was contacted.
func TestBuildFailingStep(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "buildfail")
	dir := buildCheckout(t, l, svc, Registry+"/"+svc, "")
	write(t, filepath.Join(dir, "app", "Dockerfile"), "FROM "+Registry+"/nginx:bookworm\n"+
		"RUN echo preparing; echo 'the step said marker-4711' >&2; exit 3\n")
	commitAll(t, dir, "broken")
	logs := map[string]int{}
	for _, h := range []string{"h1", "h2"} {
		logs[h] = accepted(t, l, h)
	}
	r := l.BerthEnv(t, dir, map[string]string{"DOCKER_HOST": buildHost(t)}, "plan")
	if r.Code != 1 {
		t.Fatalf("plan of a broken build: %s", r)
	}
	for _, want := range []string{"marker-4711", "preparing", "exit code: 3"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the error lacks %q:\n%s", want, r.Stderr)
		}
	}
	if strings.Contains(r.Stdout, "Plan:") {
		t.Errorf("a plan was made:\n%s", r.Stdout)
	}
	for _, h := range []string{"h1", "h2"} {
		if n := accepted(t, l, h); n != logs[h] {
			t.Errorf("%s was contacted: %d SSH logins during the plan", h, n-logs[h])
		}
	}
}

// accepted counts the SSH logins the host's sshd logged.
func accepted(t *testing.T, l *LabEnv, host string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.Dir, "hosts", l.Host(t, host).Lab, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "Accepted publickey")
}
