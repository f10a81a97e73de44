package lang

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const proxyOptionsConfig = `
service "shop" { image = "10.77.0.1:5000/app" }
host "h1" { address = "10.77.0.11" }
role "web" {
  hosts = [host.h1]
  proxy {
    app_port         = 8080
    response_timeout = "45s"
    forward_headers  = false
    buffering {
      requests         = true
      responses        = true
      max_request_body = 10000000
      memory           = 2000000
    }
    logging {
      request_headers  = ["X-Request-Start", "User-Agent"]
      response_headers = ["X-Cache"]
    }
  }
}
deploy { version = "v1" }
`

func loadString(t *testing.T, hcl string) *Result {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "berth.hcl"), []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(context.Background(), Options{Dir: dir, Environ: testEnviron})
}

func TestProxyOptions(t *testing.T) {
	res := loadString(t, proxyOptionsConfig)
	if res.Diags.HasErrors() {
		t.Fatal(res.Diags.Error())
	}
	no := false
	want := ProxyOptions{ResponseTimeout: 45 * time.Second, ForwardHeaders: &no, BufferRequests: true, BufferResponses: true,
		MaxRequestBody: 10000000, BufferMemory: 2000000,
		LogRequestHeaders: []string{"X-Request-Start", "User-Agent"}, LogResponseHeaders: []string{"X-Cache"}}
	if got := res.Config.Roles[0].Proxy.Options; !reflect.DeepEqual(got, want) {
		t.Errorf("options\n got %+v\nwant %+v", got, want)
	}
}

func TestProxyOptionsErrors(t *testing.T) {
	cases := map[string]struct{ from, to, want string }{
		"limit without buffering": {"requests         = true", "requests         = false", "Body limit without buffering"},
		"header name":             {`"X-Cache"`, `"X Cache"`, "Invalid header name"},
		"timeout":                 {`"45s"`, `"soon"`, "Invalid duration"},
		"unknown":                 {"memory           = 2000000", "colour = 1", "Unsupported argument"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res := loadString(t, strings.Replace(proxyOptionsConfig, c.from, c.to, 1))
			if !strings.Contains(res.Diags.Error(), c.want) {
				t.Errorf("diagnostics %q, want %q", res.Diags.Error(), c.want)
			}
		})
	}
}
