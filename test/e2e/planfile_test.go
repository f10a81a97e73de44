//go:build e2e

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// editPlan writes a copy of the plan file with fn applied to its JSON.
func editPlan(t *testing.T, path string, fn func(doc map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	fn(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(t.TempDir(), "edited.plan")
	if err := os.WriteFile(edited, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return edited
}

// planChange finds the change of host/role in a plan file's JSON.
func planChange(t *testing.T, doc map[string]any, host, role string) map[string]any {
	t.Helper()
	for _, c := range doc["changes"].([]any) {
		m := c.(map[string]any)
		a := m["address"].(map[string]any)
		if a["host"] == host && a["role"] == role {
			return m
		}
	}
	t.Fatalf("no change %s/%s in the plan", host, role)
	return nil
}

func planSteps(doc map[string]any) []any { return doc["graph"].(map[string]any)["steps"].([]any) }

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// mustNotStart checks that no container of version ran or exists on any
// host since t0.
func mustNotStart(t *testing.T, l *LabEnv, svc, version string, t0 time.Time) {
	t.Helper()
	for _, h := range []string{"h1", "h2", "h3"} {
		for _, name := range startedSince(t, l, h, svc, t0) {
			if strings.HasSuffix(name, "-"+version) {
				t.Errorf("%s started %s", h, name)
			}
		}
		for _, c := range l.Containers(t, h, svc) {
			if c.Labels["berth.version"] == version {
				t.Errorf("%s has %s (%s)", h, c.Name, c.State)
			}
		}
	}
}

// Edits to a reviewed plan file are refused, each naming the field, and
// nothing of them reaches a host; the unedited file still applies.
func TestPlanFileEditsAreRefused(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "pfedit")
	mustApply(t, l, l.WriteConfig(t, appConfig(l, svc, "v1", "")))
	dir := l.WriteConfig(t, appConfig(l, svc, "v2", ""))
	reviewed := filepath.Join(t.TempDir(), "v2.plan")
	mustBerth(t, l, dir, "plan", "--out", reviewed)
	broken := l.WriteConfig(t, appConfig(l, svc, "broken", ""))
	brokenPlan := filepath.Join(t.TempDir(), "broken.plan")
	mustBerth(t, l, broken, "plan", "--out", brokenPlan)
	brokenDigest := ""
	{
		b, _ := os.ReadFile(brokenPlan)
		var p struct{ Images map[string]string }
		if err := json.Unmarshal(b, &p); err != nil || p.Images[Registry+"/app:broken"] == "" {
			t.Fatalf("broken plan has no digest: %v %s", err, b)
		}
		brokenDigest = p.Images[Registry+"/app:broken"]
	}
	t0 := time.Now()

	tests := []struct {
		name string
		dir  string
		file string
		edit func(doc map[string]any)
		want string
	}{
		{"the barrier edge deleted, with a broken image", broken, brokenPlan, func(doc map[string]any) {
			for _, s := range planSteps(doc) {
				m := s.(map[string]any)
				deps, _ := m["depends_on"].([]any)
				var kept []any
				for _, d := range deps {
					if d != "barrier" {
						kept = append(kept, d)
					}
				}
				m["depends_on"] = kept
			}
		}, "graph.steps[h2/web/stop_old].depends_on: [\"h2/web/create\"] in the file, [\"h2/web/create\", \"barrier\"] re-derived"},
		{"an injected env var", dir, reviewed, func(doc map[string]any) {
			d := planChange(t, doc, "h1", "web")["desired"].(map[string]any)
			d["env"].(map[string]any)["INJECTED"] = "1"
		}, "plan file does not match what the configuration and the hosts give now: changes[h1/web].desired.env.INJECTED: not in the re-derived plan"},
		{"another digest under the reviewed label", dir, reviewed, func(doc map[string]any) {
			for _, h := range []string{"h1", "h2"} {
				planChange(t, doc, h, "web")["desired"].(map[string]any)["image"] = Registry + "/app:v2@" + brokenDigest
			}
		}, "changes[h1/web].desired.image: \"" + Registry + "/app:v2@" + brokenDigest + "\" in the file"},
		{"a host dropped from the fingerprint list", dir, reviewed, func(doc map[string]any) {
			doc["hosts"] = doc["hosts"].([]any)[:2]
		}, "hosts[h3]: in the re-derived plan, not in the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := editPlan(t, tt.file, tt.edit)
			r := l.Berth(t, tt.dir, "apply", edited)
			if r.Code != 1 || !strings.Contains(r.Stderr, tt.want) {
				t.Errorf("want exit 1 naming %q: %s", tt.want, r)
			}
			if want := "Plan file: " + edited + " (" + fileDigest(t, edited) + ")"; !strings.Contains(r.Stdout, want) {
				t.Errorf("apply does not print %q:\n%s", want, r.Stdout)
			}
			// Nothing of the edit reached a host: v1 runs everywhere, and
			// neither v2 nor the broken build started anywhere.
			for h, role := range map[string]string{"h1": "web", "h2": "web", "h3": "worker"} {
				if got := running(t, l, h, svc, role); len(got) != 1 || got[0] != "v1" {
					t.Errorf("%s %s runs %v, want v1", h, role, got)
				}
			}
			mustNotStart(t, l, svc, "broken", t0)
			mustNotStart(t, l, svc, "v2", t0)
		})
	}
	mustServe(t, l, "v1")
	if r := l.Berth(t, dir, "lock", "status"); r.Code != 0 || !strings.Contains(r.Stdout, "Unlocked") {
		t.Errorf("lock status after the refusals: %s", r)
	}

	// The reviewed file, unedited, applies; apply prints its digest, the
	// one show printed to the reviewer.
	show := mustBerth(t, l, dir, "show", reviewed)
	line := "Plan file: " + reviewed + " (" + fileDigest(t, reviewed) + ")"
	if !strings.Contains(show.Stdout, line) {
		t.Errorf("show does not print %q:\n%s", line, show.Stdout)
	}
	r := l.Berth(t, dir, "apply", reviewed)
	if r.Code != 0 || !strings.Contains(r.Stdout, line) || !strings.Contains(r.Stdout, "The plan file matches what the configuration and the hosts give now.") {
		t.Fatalf("apply of the reviewed file: %s", r)
	}
	mustServe(t, l, "v2")
	mustBeConverged(t, l, dir)
}

// registryRetag points tag at the manifest of from, in the lab registry's
// repository app, through the registry's HTTP API.
func registryRetag(t *testing.T, l *LabEnv, from, tag string) {
	t.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	base := "http://" + Registry + "/v2/app/manifests/"
	req, _ := http.NewRequest(http.MethodGet, base+from, nil)
	req.SetBasicAuth(l.RegistryUser, l.RegistryPassword)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET manifest %s: %s %s", from, resp.Status, body)
	}
	put, _ := http.NewRequest(http.MethodPut, base+tag, bytes.NewReader(body))
	put.SetBasicAuth(l.RegistryUser, l.RegistryPassword)
	put.Header.Set("Content-Type", resp.Header.Get("Content-Type"))
	presp, err := c.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	pbody, _ := io.ReadAll(presp.Body)
	presp.Body.Close()
	if presp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest %s: %s %s", tag, presp.Status, pbody)
	}
}

// A tag pushed again between plan and apply makes the plan stale, with
// the digest the tag points to now; nothing is deployed.
func TestPlanFileTagMoved(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "pftag")
	tag := UniqueName("pftag")
	registryRetag(t, l, "v1", tag)
	dir := l.WriteConfig(t, appConfig(l, svc, tag, ""))
	planFile := filepath.Join(t.TempDir(), "tag.plan")
	mustBerth(t, l, dir, "plan", "--out", planFile)
	var p struct{ Images map[string]string }
	b, _ := os.ReadFile(planFile)
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	ref := Registry + "/app:" + tag
	planned := p.Images[ref]

	registryRetag(t, l, "v2", tag) // someone pushes another build under the same tag
	t0 := time.Now()
	r := l.Berth(t, dir, "apply", planFile)
	if r.Code != 1 || !strings.Contains(r.Stderr, "stale: tag "+ref+" now points to sha256:") || !strings.Contains(r.Stderr, "(the plan has "+planned+")") {
		t.Fatalf("a moved tag was not refused as stale: %s", r)
	}
	if strings.Contains(r.Stderr, "now points to "+planned) {
		t.Errorf("the new digest is the planned one: %s", r.Stderr)
	}
	mustNotStart(t, l, svc, tag, t0)
}

// destroy --remove-volumes --out shows the volumes it removes and keeps
// the option in the file; apply of the file removes them.
func TestPlanFileDestroyRemovesVolumes(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "pfvol")
	vol := svc + "-data"
	t.Cleanup(func() {
		l.Cleanup(t, svc)
		l.SSH(t, "h1", "docker volume rm "+vol+" >/dev/null 2>&1")
	})
	acc := fmt.Sprintf(`
accessory "cache" {
  image   = "%s/cache:7"
  host    = host.h1
  volumes = ["%s:/data"]
}
`, Registry, vol)
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", acc))
	mustApply(t, l, dir)

	planFile := filepath.Join(t.TempDir(), "destroy.plan")
	r := mustBerth(t, l, dir, "destroy", "--include-accessories", "--remove-volumes", "--out", planFile)
	for _, want := range []string{"made with: berth destroy --include-accessories --remove-volumes",
		"removes the named volumes of the removed containers, and the data in them (--remove-volumes): h1: " + vol + "."} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("destroy --out does not show %q:\n%s", want, r.Stdout)
		}
	}
	show := mustBerth(t, l, dir, "show", "--markdown", planFile)
	if !strings.Contains(show.Stdout, "Made with `berth destroy --include-accessories --remove-volumes`") || !strings.Contains(show.Stdout, "h1: "+vol) {
		t.Errorf("show --markdown does not show the volume removal:\n%s", show.Stdout)
	}
	if out := l.MustSSH(t, "h1", "docker volume ls -q"); !strings.Contains(out, vol) {
		t.Fatalf("destroy --out removed the volume already:\n%s", out)
	}

	r = mustBerth(t, l, dir, "apply", planFile)
	if !strings.Contains(r.Stdout, "Removed volume "+vol+" on h1") {
		t.Errorf("apply of the destroy plan:\n%s", r.Stdout)
	}
	for _, h := range []string{"h1", "h2", "h3"} {
		if cs := l.Containers(t, h, svc); len(cs) != 0 {
			t.Errorf("%s keeps %d containers of the service", h, len(cs))
		}
	}
	if out := l.MustSSH(t, "h1", "docker volume ls -q"); strings.Contains(out, vol) {
		t.Errorf("apply of a destroy --remove-volumes plan left the volume:\n%s", out)
	}
}

// A saved plan with proxy changes (a proxy to create, a route to switch)
// re-derives to the same plan and applies: the comparison leaves nothing
// out that a real proxied deploy needs.
func TestPlanFileProxiedAppliesUnchanged(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pfproxy")
	planFile := filepath.Join(t.TempDir(), "v1.plan")
	dir := l.WriteConfig(t, proxiedConfig(l, svc, "v1", true))
	mustBerth(t, l, dir, "plan", "--out", planFile)
	if r := l.Berth(t, dir, "apply", planFile); r.Code != 0 || !strings.Contains(r.Stdout, "The plan file matches") {
		t.Fatalf("apply of a plan that creates the proxy: %s", r)
	}
	dir = l.WriteConfig(t, proxiedConfig(l, svc, "v2", true))
	mustBerth(t, l, dir, "plan", "--out", planFile)
	if r := l.Berth(t, dir, "apply", planFile); r.Code != 0 {
		t.Fatalf("apply of a proxied redeploy: %s", r)
	}
	mustBeConverged(t, l, dir)
}

// destroy --remove-volumes without --out removes the volumes its plan lists.
func TestDestroyRemoveVolumesInline(t *testing.T) {
	l := Lab(t)
	svc := l.Service(t, "pfvolin")
	vol := svc + "-data"
	t.Cleanup(func() {
		l.Cleanup(t, svc)
		l.SSH(t, "h2", "docker volume rm "+vol+" >/dev/null 2>&1")
	})
	acc := fmt.Sprintf(`
accessory "cache" {
  image   = "%s/cache:7"
  host    = host.h2
  volumes = ["%s:/data"]
}
`, Registry, vol)
	dir := l.WriteConfig(t, appConfig(l, svc, "v1", acc))
	mustApply(t, l, dir)
	r := mustBerth(t, l, dir, "destroy", "--include-accessories", "--remove-volumes", "--auto-approve")
	if !strings.Contains(r.Stdout, "(--remove-volumes): h2: "+vol+".") || !strings.Contains(r.Stdout, "Removed volume "+vol+" on h2") {
		t.Errorf("destroy --remove-volumes:\n%s", r.Stdout)
	}
	if out := l.MustSSH(t, "h2", "docker volume ls -q"); strings.Contains(out, vol) {
		t.Errorf("destroy --remove-volumes left the volume:\n%s", out)
	}
}
