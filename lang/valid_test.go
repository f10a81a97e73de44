package lang

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadValid(t *testing.T, opts Options) *Config {
	t.Helper()
	if opts.Environ == nil {
		opts.Environ = testEnviron
	}
	res := Load(context.Background(), opts)
	for _, d := range res.Diags {
		t.Errorf("diagnostic: %s", d.Error())
	}
	if res.Config == nil {
		t.Fatal("no config")
	}
	return res.Config
}

// TestDesignExample decodes the example of DESIGN.md and compares every field.
func TestDesignExample(t *testing.T) {
	cfg := loadValid(t, Options{Dir: "testdata/valid/design"})
	hc := &Healthcheck{Cmd: []string{"/app", "check"}, Interval: time.Second, Retries: 3, Deadline: 30 * time.Second}
	want := &Config{
		Dir:      "testdata/valid/design",
		Files:    []string{"testdata/valid/design/berth.hcl"},
		Hash:     cfg.Hash,
		Service:  Service{Name: "shop", Image: "10.77.0.1:5000/shop"},
		Version:  Version{Full: "v1", Short: "v1", Source: "deploy.version"},
		Registry: &Registry{Server: "10.77.0.1:5000", Username: "deploy", Password: NewSecret(`env("REGISTRY_PASSWORD")`, "registry-secret-0815")},
		SSH: SSH{User: "root", Port: 22, Identity: "/home/test/.ssh/id_ed25519", KnownHosts: "/home/test/.ssh/known_hosts",
			HostKeyPolicy: "strict", ConnectTimeout: 10 * time.Second, CommandTimeout: 5 * time.Minute},
		Hosts: []Host{{Name: "h1", Address: "10.77.0.11"}, {Name: "h2", Address: "10.77.0.12"}, {Name: "h3", Address: "10.77.0.13"}},
		Roles: []Role{
			{Name: "web", Primary: true, Hosts: []string{"h1", "h2"}, Cmd: []string{"/app", "serve"},
				Ports:       []Port{{HostPort: 80, ContainerPort: 8080, Protocol: "tcp"}},
				Env:         map[string]string{"LOG_LEVEL": "info"},
				SecretEnv:   map[string]Secret{"DB_PASSWORD": NewSecret(`env("DB_PASSWORD")`, "db-secret-4711")},
				Healthcheck: hc, Stop: Stop{Timeout: 10 * time.Second}},
			{Name: "worker", Hosts: []string{"h3"}, Cmd: []string{"/app", "work"}, Stop: Stop{Timeout: 10 * time.Second}},
		},
		Accessories: []Accessory{{Name: "cache", Image: "10.77.0.1:5000/cache:7", Hosts: []string{"h3"},
			Ports: []Port{{HostPort: 6379, ContainerPort: 6379, Protocol: "tcp"}}, Stop: Stop{Timeout: 10 * time.Second}}},
		Deploy: Deploy{Parallelism: 10, ParallelismSet: true, Batch: 2, Retain: 3, StopTimeout: 10 * time.Second, OnFailure: "stop",
			ReadinessDelay: 3 * time.Second, BarrierTimeout: 5 * time.Minute, HookTimeout: 5 * time.Minute},
		Variables: []Variable{{Name: "version", Value: "v1"}},
	}
	compareConfig(t, cfg, want)
	if !strings.HasPrefix(cfg.Hash, "sha256:") || len(cfg.Hash) != 71 {
		t.Errorf("Hash = %q", cfg.Hash)
	}
}

// TestFullExample covers every attribute, two files, locals, functions,
// sensitive variables and non-default values.
func TestFullExample(t *testing.T) {
	env := append([]string{"API_KEY=api-key-1234", "CACHE_PASSWORD=cache-pass-5678"}, testEnviron...)
	cfg := loadValid(t, Options{Dir: "testdata/valid/full", Environ: env, Vars: []string{"db_password=pw-from-cli"}})
	common := map[string]string{"LOG_LEVEL": "info", "REPLICAS": "2"}
	want := &Config{
		Dir:      "testdata/valid/full",
		Files:    []string{"testdata/valid/full/berth.hcl", "testdata/valid/full/hosts.hcl"},
		Hash:     cfg.Hash,
		Service:  Service{Name: "shop", Image: "10.77.0.1:5000/shop"},
		Version:  Version{Full: "v1", Short: "v1", Source: "var.version"},
		Registry: &Registry{Server: "10.77.0.1:5000", Username: "deploy", Password: NewSecret(`env("REGISTRY_PASSWORD")`, "registry-secret-0815"), Insecure: true},
		SSH: SSH{User: "deploy", Port: 2222, Identity: "/home/test/.ssh/id_ed25519", KnownHosts: "/etc/berth/known_hosts",
			HostKeyPolicy: "accept-new", ProxyJump: "bastion.example.com", ConnectTimeout: 5 * time.Second, CommandTimeout: 2 * time.Minute},
		Hosts: []Host{{Name: "h1", Address: "10.77.0.11"}, {Name: "h2", Address: "10.77.0.12", User: "root", Port: 22}, {Name: "h3", Address: "h3.lab.internal"}},
		Roles: []Role{
			{Name: "api", Primary: true, Hosts: []string{"h2", "h1"},
				Ports: []Port{{HostIP: "127.0.0.1", HostPort: 80, ContainerPort: 8080, Protocol: "tcp"}, {HostPort: 8443, ContainerPort: 8443, Protocol: "udp"}},
				Env:   map[string]string{"LOG_LEVEL": "info", "REPLICAS": "2", "HOST_ADDR": "10.77.0.11"},
				SecretEnv: map[string]Secret{
					"DB_PASSWORD": NewSecret("var.db_password", "pw-from-cli"),
					"API_KEY":     NewSecret(`env("API_KEY")`, "api-key-1234")},
				Volumes:     []string{"data:/var/lib/shop", "/etc/shop:/etc/shop:ro"},
				Healthcheck: &Healthcheck{HTTP: &HTTPCheck{Path: "/up", Port: 8080}, Interval: 500 * time.Millisecond, Retries: 5, Deadline: time.Minute},
				Stop:        Stop{Timeout: 20 * time.Second}},
			{Name: "worker", Hosts: []string{"h3"}, Cmd: []string{"/app", "work"}, Env: common,
				Labels:      map[string]string{"team": "shop"},
				Healthcheck: &Healthcheck{Shell: "/app check || exit 1", Interval: time.Second, Retries: 3, Deadline: 30 * time.Second},
				Stop:        Stop{Signal: "SIGINT", Timeout: 5 * time.Second}},
		},
		Accessories: []Accessory{{Name: "cache", Image: "10.77.0.1:5000/cache:8", Hosts: []string{"h3", "h1"}, Cmd: []string{"/app", "cache"},
			Ports:     []Port{{HostPort: 6379, ContainerPort: 6379, Protocol: "tcp"}},
			Env:       map[string]string{"MAXMEM": "64m"},
			SecretEnv: map[string]Secret{"CACHE_PASSWORD": NewSecret(`env("CACHE_PASSWORD")`, "cache-pass-5678")},
			Volumes:   []string{"cache:/data"}, Labels: map[string]string{"backup": "nightly"}, Stop: Stop{Timeout: 20 * time.Second}}},
		Deploy: Deploy{Parallelism: 4, ParallelismSet: true, Batch: 1, Retain: 5, StopTimeout: 20 * time.Second, OnFailure: "rollback",
			ReadinessDelay: 2 * time.Second, BarrierTimeout: 3 * time.Minute, HookTimeout: 90 * time.Second},
		Variables: []Variable{
			{Name: "db_password", Sensitive: true, Hash: NewSecret("", "pw-from-cli").Hash("shop")},
			{Name: "extra_labels", Value: `{"team":"shop"}`},
			{Name: "replicas", Value: "2"},
			{Name: "version", Value: "v1"},
		},
	}
	compareConfig(t, cfg, want)
}

// compareConfig compares field by field so that a failure names the field.
func compareConfig(t *testing.T, got, want *Config) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s:\n got  %#v\n want %#v", name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}
