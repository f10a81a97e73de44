//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// inRegistry reports whether the lab registry has repo:tag.
func inRegistry(t *testing.T, l *LabEnv, repo, tag string) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, "http://"+Registry+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(l.RegistryUser, l.RegistryPassword)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// postgresAccessory is PostgreSQL 15 from the lab's Debian images on h3,
// checked with pg_isready; psql in it connects as postgres.
func postgresAccessory(name string) string {
	return fmt.Sprintf(`
accessory %q {
  image      = "%s/postgres:15"
  host       = host.h3
  env        = { PGUSER = "postgres" }
  secret_env = { POSTGRES_PASSWORD = env("E2E_PG_PASSWORD") }
  healthcheck {
    cmd      = ["pg_isready", "-h", "127.0.0.1"]
    interval = "1s"
    deadline = "90s"
  }
}
`, name, Registry)
}

const cacheAccessory = `
accessory "cache" {
  image = "` + Registry + `/cache:7"
  host  = host.h3
}
`

func TestAccessoryExecRunsInTheRunningContainer(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "accexec")
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", cacheAccessory))
	mustBerth(t, l, dir, "apply", "--auto-approve")

	r := mustBerth(t, l, dir, "exec", "cache", "--", "/app", "version")
	if strings.TrimSpace(r.Stdout) == "" {
		t.Errorf("exec cache -- /app version printed nothing: %s", r)
	}
	// In the running container, not a one-off one: no one-off was made,
	// and the command sees the accessory's own process (its port answers).
	if cs := l.ContainersByLabel(t, "h3", "berth.oneoff="+svc); len(cs) != 0 {
		t.Errorf("a one-off container was made for an accessory: %+v", cs)
	}
	r = l.Berth(t, dir, "exec", "accessory.cache", "--", "/app", "nope")
	if r.Code == 0 {
		t.Errorf("exec of a failing command exited 0: %s", r)
	}
}

func TestAccessoryExecPsql(t *testing.T) {
	l := Lab(t)
	if !inRegistry(t, l, "postgres", "15") {
		t.Skip("the lab registry has no postgres:15 (the Debian image set of test/lab is not built): skipping the psql check")
	}
	svc := l.Service(t, "accpsql")
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", postgresAccessory("db")))
	env := map[string]string{"E2E_PG_PASSWORD": "s3cret-e2e"}
	if r := l.BerthEnv(t, dir, env, "apply", "--auto-approve"); r.Code != 0 {
		t.Fatalf("apply: %s", r)
	}
	r := l.BerthEnv(t, dir, env, "exec", "db", "--", "psql", "-c", "select 1")
	if r.Code != 0 || !strings.Contains(r.Stdout, "(1 row)") {
		t.Fatalf("berth exec db -- psql -c 'select 1': %s", r)
	}
	r = l.BerthEnv(t, dir, env, "exec", "db", "--", "psql", "-c", "select nope")
	if r.Code == 0 || !strings.Contains(r.Stderr, `column "nope" does not exist`) {
		t.Errorf("psql with an error: want its status and its stderr: %s", r)
	}
}

func TestAccessoryRestoredAfterAFailedReplaceHasItsOwnName(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "accname")
	withImage := func(image string) string {
		return dayTwoConfig(l, svc, "v1", strings.Replace(cacheAccessory, Registry+"/cache:7", Registry+"/"+image, 1))
	}
	dir := l.WriteConfig(t, withImage("cache:7"))
	mustBerth(t, l, dir, "apply", "--auto-approve")
	name := svc + "-cache"
	before := l.MustSSH(t, "h3", "docker inspect -f '{{.Id}}' "+name)

	// A new image that exits at once: the replace fails, the old one is
	// started again.
	writeFile(t, dir, withImage("app:broken"))
	if r := l.Berth(t, dir, "apply", "--auto-approve"); r.Code != 1 {
		t.Fatalf("apply of a broken accessory image: want exit 1: %s", r)
	}
	var running []string
	for _, c := range l.Containers(t, "h3", svc) {
		if c.Labels["berth.accessory"] == "cache" && c.State == "running" {
			running = append(running, c.Name)
		}
	}
	if len(running) != 1 || running[0] != name {
		t.Fatalf("after the failed replace the cache runs as %v, want exactly %s", running, name)
	}
	if after := l.MustSSH(t, "h3", "docker inspect -f '{{.Id}}' "+name); after != before {
		t.Errorf("%s is another container now: %s, was %s", name, after, before)
	}
	l.MustSSH(t, "h3", "docker exec "+name+" /app version")

	// Back on the old configuration, status and plan see nothing to do.
	writeFile(t, dir, withImage("cache:7"))
	for _, row := range rowsOf(status(t, l, dir), "h3", "accessory.cache") {
		if row.Mark == "DRIFT" {
			t.Errorf("status shows drift after the restore: %+v", row)
		}
	}
	if r := l.Berth(t, dir, "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("plan after the restore: %s", r)
	}
}

func TestAccessoryStopStartRestartLogs(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "accops")
	db := postgresAccessory("db")
	pg := inRegistry(t, l, "postgres", "15")
	if !pg {
		t.Log("no postgres:15 in the lab registry: the clean-shutdown check is skipped, the rest runs on cache:7")
		db = ""
	}
	dir := l.WriteConfig(t, dayTwoConfig(l, svc, "v1", cacheAccessory+db))
	t.Setenv("E2E_PG_PASSWORD", "s3cret-e2e") // for every berth run, status included
	var env map[string]string
	berth := func(args ...string) Result {
		t.Helper()
		r := l.BerthEnv(t, dir, env, args...)
		if r.Code != 0 {
			t.Fatalf("berth %s: %s", strings.Join(args, " "), r)
		}
		return r
	}
	berth("apply", "--auto-approve")
	state := func(name string) string {
		return strings.TrimSpace(l.MustSSH(t, "h3", "docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "+shellQuote(svc+"-"+name)))
	}

	r := berth("accessory", "stop", "cache", "--auto-approve")
	if !strings.Contains(r.Stdout, "stop_old") || !strings.Contains(r.Stdout, "1 stopped") {
		t.Errorf("accessory stop output:\n%s", r.Stdout)
	}
	if got := state("cache"); got != "exited 0" {
		t.Errorf("after accessory stop the cache is %q, want exited 0 (a graceful stop)", got)
	}
	if got := state("db"); pg && !strings.HasPrefix(got, "running") {
		t.Errorf("stopping the cache touched the db: %q", got)
	}
	// Honest about it: status marks it, the plan starts it again.
	var marked bool
	for _, row := range rowsOf(status(t, l, dir), "h3", "accessory.cache") {
		marked = marked || row.Mark == "DRIFT"
	}
	if !marked {
		t.Errorf("status does not mark the stopped cache")
	}
	if p := l.BerthEnv(t, dir, env, "plan", "--detailed-exitcode"); p.Code != 2 || !strings.Contains(p.Stdout, "h3/accessory.cache  (start)") {
		t.Errorf("plan with the cache stopped: %s", p)
	}
	berth("accessory", "start", "cache", "--auto-approve")
	if got := state("cache"); !strings.HasPrefix(got, "running") {
		t.Errorf("after accessory start the cache is %q", got)
	}
	if p := l.BerthEnv(t, dir, env, "plan", "--detailed-exitcode"); p.Code != 0 {
		t.Errorf("plan after accessory start: %s", p)
	}
	if !pg {
		return
	}
	// PostgreSQL: restart is a clean shutdown (its SIGINT) and a start that
	// waits for pg_isready; the log says so.
	r = berth("accessory", "restart", "db", "--auto-approve")
	if !strings.Contains(r.Stdout, "h3/accessory.db") || !strings.Contains(r.Stdout, "1 restarted") {
		t.Errorf("accessory restart output:\n%s", r.Stdout)
	}
	if r := l.BerthEnv(t, dir, env, "exec", "db", "--", "psql", "-c", "select 1"); r.Code != 0 {
		t.Errorf("psql after the restart: %s", r)
	}
	logs := berth("accessory", "logs", "db", "--lines", "200")
	if !strings.Contains(logs.Stdout, "database system is shut down") || !strings.Contains(logs.Stdout, "h3 "+svc+"-db") {
		t.Errorf("accessory logs db shows no clean shutdown:\n%s", logs.Stdout)
	}
	if a := berth("audit"); !strings.Contains(a.Stdout, "accessory restart") {
		t.Errorf("no audit line for the restart:\n%s", a.Stdout)
	}
}
