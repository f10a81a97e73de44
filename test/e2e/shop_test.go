//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shopDBPassword is the database password of the shop tests (a secret_env).
const shopDBPassword = "e2e-shop-secret"

// shop is examples/shop deployed by a test as its own service: the
// example's own shop.hcl with a unique service and volume name, and the
// test's hosts and ssh block as lab.hcl.
type shop struct {
	l       *LabEnv
	service string
	dir     string
}

// newShop writes the shop example for a test; edit may change its HCL.
// The cleanup removes the service's containers, its volume and networks.
func newShop(t *testing.T, edit func(string) string) *shop {
	t.Helper()
	l := Lab(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "examples", "shop", "shop.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{l: l, service: UniqueName("shop")}
	t.Cleanup(func() {
		l.Cleanup(t, s.service)
		// The proxy goes too, with its routes (its volume): the next
		// test's service could not take over the catch-all route.
		for _, h := range []string{"h1", "h2", "h3"} {
			l.SSH(t, h, fmt.Sprintf("docker ps -aq --filter label=berth.proxy=true | xargs -r docker rm -f >/dev/null 2>&1; docker network rm berth-%s berth >/dev/null 2>&1; "+
				"docker volume rm %s-pgdata berth-proxy-config >/dev/null 2>&1; true", s.service, s.service))
		}
	})
	hcl := strings.Replace(string(src), `service "shop"`, fmt.Sprintf("service %q", s.service), 1)
	hcl = strings.ReplaceAll(hcl, "shop-pgdata:", s.service+"-pgdata:")
	if edit != nil {
		hcl = edit(hcl)
	}
	s.dir = l.WriteConfig(t, hcl)
	lab := l.HostBlocks("h1", "h2", "h3") + l.SSHBlock()
	if err := os.WriteFile(filepath.Join(s.dir, "lab.hcl"), []byte(lab), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// berth runs berth on the shop with its database password.
func (s *shop) berth(t *testing.T, args ...string) Result {
	t.Helper()
	return s.l.BerthEnv(t, s.dir, map[string]string{"SHOP_DB_PASSWORD": shopDBPassword}, args...)
}

func (s *shop) mustBerth(t *testing.T, args ...string) Result {
	t.Helper()
	r := s.berth(t, args...)
	if r.Code != 0 {
		t.Fatalf("berth %s: exit %d\n%s", strings.Join(args, " "), r.Code, r)
	}
	return r
}

// sql runs a query in the db accessory's container and returns its rows.
func (s *shop) sql(t *testing.T, query string) (string, error) {
	t.Helper()
	out, err := s.l.SSH(t, "h3", fmt.Sprintf("docker exec %s-db psql -U shop -d shop -qAtc %s", s.service, shellQuote(query)))
	return strings.TrimSpace(out), err
}

// httpGet is the body of GET url, or an error unless it answers 200.
func httpGet(url string) (string, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b), nil
}

// The shop deploys from empty: nginx answers through the proxy, and the
// worker reaches PostgreSQL and Redis by their names on the service's
// network (without it, "db" does not resolve and no order is stored).
func TestShopDeploysFromEmptyWorkerReachesAccessoriesByName(t *testing.T) {
	s := newShop(t, nil)
	r := s.mustBerth(t, "apply", "--auto-approve")
	if !strings.Contains(r.Stdout, "Networks (created where missing):") || !strings.Contains(r.Stdout, "berth-"+s.service) {
		t.Errorf("the plan does not name the network:\n%s", r.Stdout)
	}
	for _, h := range []string{"h1", "h2"} {
		url := fmt.Sprintf("http://%s:8080/up", s.l.Host(t, h).Addr)
		Eventually(t, 20*time.Second, func() error { _, err := httpGet(url); return err })
	}
	worker := s.service + "-worker-bookworm"
	Eventually(t, 60*time.Second, func() error {
		n, err := s.sql(t, "select count(*) from orders")
		if err != nil || n == "" || n == "0" {
			logs, _ := s.l.SSH(t, "h3", "docker logs --tail 5 "+worker+" 2>&1")
			return fmt.Errorf("no order stored yet (%q, %v); worker: %s", n, err, logs)
		}
		return nil
	})
	logs := s.l.MustSSH(t, "h3", "docker logs "+worker+" 2>&1")
	if !regexp.MustCompile(`order [0-9]+: counted in cache, stored in db`).MatchString(logs) {
		t.Errorf("worker log:\n%s", logs)
	}
	aliases := s.l.MustSSH(t, "h3", fmt.Sprintf(`docker inspect -f '{{json (index .NetworkSettings.Networks "berth-%s").Aliases}}' %s-db`, s.service, s.service))
	if !strings.Contains(aliases, `"db"`) || !strings.Contains(aliases, `"`+s.service+`-db"`) {
		t.Errorf("db's aliases on berth-%s: %s", s.service, aliases)
	}
	nets := s.l.MustSSH(t, "h1", fmt.Sprintf(`docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' %s-web-bookworm`, s.service))
	if f := strings.Fields(nets); len(f) != 2 || !strings.Contains(nets, "berth-"+s.service) || !strings.Contains(nets, "berth ") {
		t.Errorf("web's networks: %q, want berth-%s and berth", nets, s.service)
	}
	// A one-off container of the worker is on the network too.
	if r := s.berth(t, "exec", "worker", "--", "pg_isready", "-h", "db"); r.Code != 0 || !strings.Contains(r.Stdout, "db:5432 - accepting connections") {
		t.Errorf("berth exec worker -- pg_isready -h db: exit %d\n%s", r.Code, r)
	}
	if r := s.berth(t, "plan", "--detailed-exitcode"); r.Code != 0 {
		t.Errorf("plan after apply: exit %d\n%s", r.Code, r)
	}
}

// pgLog is the log of a PostgreSQL container on h3.
func (s *shop) pgLog(t *testing.T, container string) string {
	t.Helper()
	return s.l.MustSSH(t, "h3", "docker logs "+container+" 2>&1")
}

// checkCleanStart fails unless a PostgreSQL log shows that the previous
// server on the volume shut down cleanly: no recovery at start.
func checkCleanStart(t *testing.T, log string) {
	t.Helper()
	if !strings.Contains(log, "database system was shut down at") ||
		regexp.MustCompile(`was interrupted|not properly shut down|automatic recovery`).MatchString(log) {
		t.Errorf("PostgreSQL did not find a clean shutdown before it started:\n%s", log)
	}
}

var shutdownRequestRE = regexp.MustCompile(`received (fast|smart) shutdown request`)

// checkCleanStop fails unless a stopped PostgreSQL's log ends in a clean
// shutdown, after a smart or fast shutdown request.
func checkCleanStop(t *testing.T, log string) {
	t.Helper()
	reqs := shutdownRequestRE.FindAllStringIndex(log, -1)
	ready := strings.LastIndex(log, "database system is ready to accept connections")
	down := strings.LastIndex(log, "database system is shut down")
	if len(reqs) == 0 || reqs[len(reqs)-1][0] < ready || down < reqs[len(reqs)-1][0] {
		t.Errorf("PostgreSQL did not shut down cleanly:\n%s", log)
	}
}

// rewrite edits the shop's HCL in place.
func (s *shop) rewrite(t *testing.T, edit func(string) string) {
	t.Helper()
	p := filepath.Join(s.dir, "main.hcl")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dbEnv adds env to the db accessory's environment.
func dbEnv(env string) func(string) string {
	return func(hcl string) string {
		return strings.Replace(hcl, `env        = { POSTGRES_USER = "shop", POSTGRES_DB = "shop" }`,
			`env        = { POSTGRES_USER = "shop", POSTGRES_DB = "shop", `+env+` }`, 1)
	}
}

// oldDBs are the stopped db containers of the shop on h3 (an accessory
// replace keeps none or renames the old one).
func (s *shop) oldDBs(t *testing.T) []Container {
	var out []Container
	for _, c := range s.l.ContainersByLabel(t, "h3", "berth.accessory=db") {
		if c.Labels["berth.service"] == s.service && c.State != "running" {
			out = append(out, c)
		}
	}
	return out
}

// A row written to PostgreSQL survives a replace of the accessory, a
// destroy that keeps it, and a destroy that removes it (its volume stays);
// every stop of PostgreSQL is a clean shutdown.
func TestShopDataSurvivesReplaceAndDestroy(t *testing.T) {
	s := newShop(t, nil)
	s.mustBerth(t, "apply", "--auto-approve")
	if _, err := s.sql(t, "create table keep (v text); insert into keep values ('survives')"); err != nil {
		t.Fatal(err)
	}
	mustKeep := func(when string) {
		t.Helper()
		Eventually(t, 60*time.Second, func() error {
			got, err := s.sql(t, "select v from keep")
			if err != nil || got != "survives" {
				return fmt.Errorf("%s: the row is %q (%v)", when, got, err)
			}
			return nil
		})
	}
	db := s.service + "-db"

	s.rewrite(t, dbEnv(`SHOP_GENERATION = "2"`))
	r := s.mustBerth(t, "apply", "--auto-approve")
	if !regexp.MustCompile(`~ h3/accessory\.db +\(replace\)`).MatchString(r.Stdout) || !strings.Contains(r.Stdout, "env.SHOP_GENERATION: added") {
		t.Errorf("the replace of db is not planned as one:\n%s", r.Stdout)
	}
	mustKeep("after the replace")
	checkCleanStart(t, s.pgLog(t, db))
	olds := s.oldDBs(t)
	for _, old := range olds {
		checkCleanStop(t, s.pgLog(t, old.ID))
	}
	t.Logf("the replace kept %d stopped db container(s); each shut down cleanly", len(olds))

	r = s.mustBerth(t, "destroy", "--auto-approve")
	mustKeep("after a destroy that keeps the accessories")
	if out, _ := s.l.SSH(t, "h3", "docker network inspect -f '{{.Name}}' berth-"+s.service); strings.TrimSpace(out) != "berth-"+s.service {
		t.Errorf("the network went while db and cache still use it:\n%s", r)
	}

	r = s.mustBerth(t, "destroy", "--auto-approve", "--include-accessories")
	if !strings.Contains(r.Stdout, "Removed the network berth-"+s.service+" on h3") {
		t.Errorf("the destroy of the last containers left the network:\n%s", r)
	}
	if out, err := s.l.SSH(t, "h3", "docker network ls -q --filter name=^berth-"+s.service+"$"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("network berth-%s is still on h3: %q %v", s.service, out, err)
	}
	s.mustBerth(t, "apply", "--auto-approve")
	mustKeep("after a destroy with the accessories and a new apply")
	checkCleanStart(t, s.pgLog(t, db))
}

// pgTime reads the time of a PostgreSQL log line: "2026-12-02 04:26:22.543 UTC".
func pgTime(t *testing.T, log, msg string) time.Time {
	t.Helper()
	var at time.Time
	for _, line := range Lines(log) {
		if strings.Contains(line, msg) && len(line) > 27 {
			if ts, err := time.Parse("2006-01-02 15:04:05.000 MST", line[:27]); err == nil {
				at = ts
			}
		}
	}
	if at.IsZero() {
		t.Fatalf("no %q in the log:\n%s", msg, log)
	}
	return at
}

// startedAt is when a container last started.
func (s *shop) startedAt(t *testing.T, host, container string) time.Time {
	t.Helper()
	out := strings.TrimSpace(s.l.MustSSH(t, host, "docker inspect -f '{{.State.StartedAt}}' "+container))
	ts, err := time.Parse(time.RFC3339Nano, out)
	if err != nil {
		t.Fatalf("StartedAt of %s: %q: %v", container, out, err)
	}
	return ts
}

// A PostgreSQL that takes 30 s to start: the roles start only once
// pg_isready passes (without the accessory's health check and the
// dependency, they start after the readiness delay, against no database).
func TestShopSlowDatabaseHoldsTheRoles(t *testing.T) {
	s := newShop(t, dbEnv(`BERTH_TEST_START_DELAY = "30"`))
	begin := time.Now()
	s.mustBerth(t, "apply", "--auto-approve")
	took := time.Since(begin)
	db := s.service + "-db"
	dbStart := s.startedAt(t, "h3", db)
	const readyMsg = "database system is ready to accept connections"
	// Without the wait, the apply is over before PostgreSQL is up.
	Eventually(t, 90*time.Second, func() error {
		if !strings.Contains(s.pgLog(t, db), readyMsg) {
			return fmt.Errorf("PostgreSQL is not ready yet")
		}
		return nil
	})
	ready := pgTime(t, s.pgLog(t, db), readyMsg)
	if ready.Sub(dbStart) < 30*time.Second {
		t.Fatalf("PostgreSQL was ready %s after its start: the delay did not hold", ready.Sub(dbStart))
	}
	for _, c := range []struct{ host, name string }{
		{"h3", s.service + "-worker-bookworm"}, {"h1", s.service + "-web-bookworm"}, {"h2", s.service + "-web-bookworm"},
	} {
		at := s.startedAt(t, c.host, c.name)
		if !at.After(ready) {
			t.Errorf("%s/%s started at %s, before PostgreSQL was ready at %s", c.host, c.name, at.Format(time.TimeOnly+".000"), ready.Format(time.TimeOnly+".000"))
		}
		t.Logf("%s/%s started %s after PostgreSQL was ready (%s after the db container started)", c.host, c.name,
			at.Sub(ready).Round(time.Millisecond), at.Sub(dbStart).Round(time.Millisecond))
	}
	t.Logf("apply took %s; PostgreSQL ready %s after its container started", took.Round(time.Second), ready.Sub(dbStart).Round(time.Millisecond))
	if n, err := s.sql(t, "select 1"); err != nil || n != "1" {
		t.Errorf("select 1: %q %v", n, err)
	}
}
