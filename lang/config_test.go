package lang

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSecretNeverRenders(t *testing.T) {
	s := NewSecret(`env("X")`, "p4ssw0rd")
	b, _ := json.Marshal(map[string]Secret{"s": s})
	txt, _ := s.MarshalText()
	out := fmt.Sprintf("%s %v %+v %#v %q %d", s, s, s, s, s, s) + s.String() + s.GoString() + string(b) + string(txt)
	if strings.Contains(out, "p4ssw0rd") {
		t.Errorf("secret rendered: %s", out)
	}
	if s.Value() != "p4ssw0rd" || s.Ref() != `env("X")` {
		t.Error("Value or Ref lost")
	}
	if s.Hash("a") == s.Hash("b") || s.Hash("a") != NewSecret("", "p4ssw0rd").Hash("a") || NewSecret("", "").Hash("a") != "" {
		t.Error("Hash is not salted, or depends on Ref")
	}
	var back Secret
	if err := json.Unmarshal([]byte(`"(sensitive)"`), &back); err != nil || back.Value() != "" {
		t.Errorf("unmarshal: %v %q", err, back.Value())
	}
	if err := back.UnmarshalText([]byte("x")); err != nil || back.Value() != "" {
		t.Error("UnmarshalText kept a value")
	}
}

func TestConfigLookups(t *testing.T) {
	cfg := loadValid(t, Options{Dir: "testdata/valid/design"})
	if r := cfg.PrimaryRole(); r == nil || r.Name != "web" || r != &cfg.Roles[0] {
		t.Errorf("PrimaryRole = %v", r)
	}
	if h := cfg.Host("h2"); h == nil || h.Address != "10.77.0.12" {
		t.Errorf("Host(h2) = %v", h)
	}
	if cfg.Host("nope") != nil {
		t.Error("Host(nope) found")
	}
}

func TestNetworkDefaultsToTheService(t *testing.T) {
	cfg := &Config{Service: Service{Name: "shop"}}
	if got := cfg.Network(); got != "berth-shop" {
		t.Errorf("Network() = %q, want berth-shop", got)
	}
	cfg.Service.Network = "shopnet"
	if got := cfg.Network(); got != "shopnet" {
		t.Errorf("Network() = %q, want shopnet", got)
	}
}
