//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/testcert"
)

// proxyHTTPSPort is the HTTPS port of these tests (not 443, which other
// tests' proxies publish by default).
const proxyHTTPSPort = 8443

// tlsProxyConfig is namedProxyConfig with the proxy's HTTPS port and the
// web role's own certificate (tls.crt beside it, the key in TLS_KEY).
func tlsProxyConfig(l *LabEnv, service, version, name string) string {
	hcl := namedProxyConfig(l, service, version, name)
	hcl = strings.Replace(hcl, fmt.Sprintf("http_port = %d", proxyPort), fmt.Sprintf("http_port = %d\n  https_port = %d", proxyPort, proxyHTTPSPort), 1)
	return strings.Replace(hcl, fmt.Sprintf("host           = %q", name), fmt.Sprintf(`host           = %q
    tls {
      certificate = file("tls.crt")
      private_key = env("TLS_KEY")
    }`, name), 1)
}

// httpsClient trusts only ca and dials addr for every name: the URL keeps
// the name, so SNI and the certificate check are the real ones.
func httpsClient(ca []byte, addr string) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	d := &net.Dialer{Timeout: 2 * time.Second}
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}}
}

func getHTTPS(c *http.Client, name string) (string, error) {
	return bodyOK(c.Get(fmt.Sprintf("https://%s:%d/up", name, proxyHTTPSPort)))
}

// httpsLoad hits https://NAME:PORT/up through each host every 20 ms.
func httpsLoad(ca []byte, name string, hosts ...string) (end func() map[string]*hits) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]*hits{}
	for _, addr := range hosts {
		h := &hits{}
		seen[addr] = h
		c := httpsClient(ca, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				v, err := getHTTPS(c, name)
				mu.Lock()
				h.requests++
				if err != nil {
					h.failures++
					if len(h.errors) < 5 {
						h.errors = append(h.errors, time.Now().Format("15:04:05.000")+" "+err.Error())
					}
				} else if n := len(h.versions); n == 0 || h.versions[n-1] != v {
					h.versions = append(h.versions, v)
				}
				mu.Unlock()
			}
		}()
	}
	return func() map[string]*hits {
		close(stop)
		wg.Wait()
		return seen
	}
}

// HTTPS with a certificate the test makes with its own CA: it answers
// through a redeploy without a failed request, plain HTTP redirects to
// it, and the private key is in no output, plan file or process listing.
func TestProxyTLSOwnCertificate(t *testing.T) {
	l := Lab(t)
	svc := proxyService(t, l, "pxtls")
	name := svc + ".test"
	set, err := testcert.New(name)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TLS_KEY": string(set.Key)}
	dir := func(v string) string {
		d := l.WriteConfig(t, tlsProxyConfig(l, svc, v, name))
		if err := os.WriteFile(filepath.Join(d, "tls.crt"), set.Cert, 0o644); err != nil {
			t.Fatal(err)
		}
		return d
	}
	keyLine := strings.Split(string(set.Key), "\n")[1]
	noKey := func(what, s string) {
		t.Helper()
		if strings.Contains(s, keyLine) || strings.Contains(s, "PRIVATE KEY") {
			t.Errorf("the private key is in %s", what)
		}
	}
	h1, h2 := l.Host(t, "h1").Addr, l.Host(t, "h2").Addr
	https := []string{fmt.Sprintf("%s:%d", h1, proxyHTTPSPort), fmt.Sprintf("%s:%d", h2, proxyHTTPSPort)}

	r := l.BerthEnv(t, dir("v1"), env, "apply", "--auto-approve")
	if r.Code != 0 {
		t.Fatalf("apply v1: %s", r)
	}
	noKey("the first apply's output", r.Stdout+r.Stderr)
	for _, addr := range https {
		c := httpsClient(set.CA, addr)
		Eventually(t, 10*time.Second, func() error {
			v, err := getHTTPS(c, name)
			if err == nil && v != "v1" {
				err = fmt.Errorf("%s serves %q", addr, v)
			}
			return err
		})
	}

	// Plain HTTP redirects to HTTPS.
	noFollow := &http.Client{Timeout: 2 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s:%d/", h1, proxyPort), nil)
	req.Host = name
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || !strings.HasPrefix(loc, "https://"+name) {
		t.Errorf("plain HTTP: %s Location %q, want a redirect to https://%s", resp.Status, loc, name)
	}

	// The plan file and a redeploy under load, over HTTPS.
	d2 := dir("v2")
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if r := l.BerthEnv(t, d2, env, "plan", "--out", planFile); r.Code != 0 {
		t.Fatalf("plan v2: %s", r)
	} else {
		noKey("the plan's output", r.Stdout+r.Stderr)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	noKey("the plan file", string(b))
	end := httpsLoad(set.CA, name, https...)
	time.Sleep(300 * time.Millisecond) // the load's warm-up, not synchronisation
	r = l.BerthEnv(t, d2, env, "apply", planFile)
	time.Sleep(300 * time.Millisecond)
	seen := end()
	if r.Code != 0 {
		t.Fatalf("apply v2: %s", r)
	}
	noKey("the redeploy's output", r.Stdout+r.Stderr)
	mustNotFail(t, seen)
	for addr, h := range seen {
		if strings.Join(h.versions, ",") != "v1,v2" {
			t.Errorf("%s answered %v, want v1 then v2", addr, h.versions)
		}
	}

	// On the host: the key is a file of mode 0600 in the proxy's volume,
	// on no command line.
	for _, h := range []string{"h1", "h2"} {
		ps := l.MustSSH(t, h, "ps -eo args")
		noKey(h+"'s process listing", ps)
		if !strings.Contains(l.MustSSH(t, h, "docker inspect berth-proxy"), "berth-proxy-config") {
			t.Errorf("%s: the proxy has no config volume", h)
		}
		listing := l.MustSSH(t, h, "docker cp berth-proxy:/home/kamal-proxy/.config/kamal-proxy/berth-tls - | tar -tvf -")
		var keys int
		for _, line := range Lines(listing) {
			if strings.HasSuffix(line, ".key") {
				keys++
				if !strings.HasPrefix(line, "-rw-------") {
					t.Errorf("%s: key file %s", h, line)
				}
			}
		}
		if keys != 1 {
			t.Errorf("%s: %d key files in the proxy's volume:\n%s", h, keys, listing)
		}
		noKey(h+"'s proxy routes", l.MustSSH(t, h, "docker exec berth-proxy kamal-proxy list"))
	}
}
