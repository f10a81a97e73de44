package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/lang"
)

func TestSpec(t *testing.T) {
	cfg := testConfig("v2")
	cfg.Roles[0].Labels = map[string]string{"team": "shop"}
	s := Spec(cfg, &cfg.Roles[0], "h1", digestV2)
	if s.Name != "shop-web-v2" {
		t.Errorf("name = %s", s.Name)
	}
	if s.Image != "10.77.0.1:5000/shop:v2@"+digestV2 {
		t.Errorf("image = %s", s.Image)
	}
	for k, want := range map[string]string{LabelService: "shop", LabelRole: "web", LabelVersion: "v2", LabelConfig: s.ConfigHash, "team": "shop"} {
		if s.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, s.Labels[k], want)
		}
	}
	if s.Ports[0].String() != "80:8080" || s.Health.Kind != "cmd" || s.StopTimeout != 10*time.Second || strings.Contains(s.Labels[LabelSpec], "stop") {
		t.Errorf("spec = %+v", s)
	}
	h := s.SecretEnv["DB_PASSWORD"]
	if want := lang.NewSecret("", secretValue).Hash("shop/web/DB_PASSWORD"); h != want || h == "" {
		t.Errorf("secret hash = %q, want %q", h, want)
	}
	for k, v := range s.Labels {
		if strings.Contains(k+v, secretValue) {
			t.Errorf("label %s carries the secret value", k)
		}
	}
	sum, ok := ParseSpecSummary(s.Labels[LabelSpec])
	if !ok || sum.Hash() != s.ConfigHash || sum.Digest != digestV2 {
		t.Errorf("spec label does not round-trip: %+v", sum)
	}
}

func TestConfigHash(t *testing.T) {
	base := testConfig("v1")
	hash := func(c *lang.Config) string { return Spec(c, &c.Roles[0], "h1", digestV1).ConfigHash }
	h0 := hash(base)
	if h0 != hash(testConfig("v1")) {
		t.Error("config hash is not deterministic")
	}
	if hash(testConfig("v2")) != h0 {
		t.Error("the version must not be part of the config hash")
	}
	mutations := map[string]func(c *lang.Config){
		"env":     func(c *lang.Config) { c.Roles[0].Env["A"] = "b" },
		"secret":  func(c *lang.Config) { c.Roles[0].SecretEnv["DB_PASSWORD"] = newSecret("x") },
		"cmd":     func(c *lang.Config) { c.Roles[0].Cmd = nil },
		"ports":   func(c *lang.Config) { c.Roles[0].Ports = nil },
		"volumes": func(c *lang.Config) { c.Roles[0].Volumes = []string{"a:/a"} },
		"labels":  func(c *lang.Config) { c.Roles[0].Labels = map[string]string{"a": "b"} },
		"health":  func(c *lang.Config) { c.Roles[0].Healthcheck = nil },
	}
	for name, m := range mutations {
		c := testConfig("v1")
		m(c)
		if hash(c) == h0 {
			t.Errorf("%s change does not change the config hash", name)
		}
	}
	if Spec(base, &base.Roles[0], "h1", digestV2).ConfigHash == h0 {
		t.Error("the image digest must be part of the config hash")
	}
}

func TestAccessorySpec(t *testing.T) {
	cfg := testConfig("v1")
	s := AccessorySpec(cfg, &cfg.Accessories[0], "h3", digestCache)
	if s.Name != "shop-cache" || s.Image != "10.77.0.1:5000/cache:7@"+digestCache {
		t.Errorf("spec = %+v", s)
	}
	if s.Labels[LabelAccessory] != "cache" || s.Labels[LabelVersion] != "7" || s.Labels[LabelRole] != "" {
		t.Errorf("labels = %v", s.Labels)
	}
	if s.Health.Kind != "auto" || s.Health.Deadline != 3*time.Second {
		t.Errorf("health = %+v", s.Health)
	}
	a := lang.Accessory{Name: "db", Image: "10.77.0.1:5000/db"}
	if r := AccessoryRef(&a); r != "10.77.0.1:5000/db:latest" {
		t.Errorf("ref = %s", r)
	}
}
