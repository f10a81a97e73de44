package imageref

import (
	"errors"
	"strings"
	"testing"
)

var sum = "sha256:" + strings.Repeat("a", 64)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in                string
		repo, tag, digest string
		ok                bool
	}{
		{"10.77.0.1:5000/shop", "10.77.0.1:5000/shop", "", "", true},
		{"10.77.0.1:5000/cache:7", "10.77.0.1:5000/cache", "7", "", true},
		{"nginx", "nginx", "", "", true},
		{"library/nginx:1.27-alpine", "library/nginx", "1.27-alpine", "", true},
		{"localhost/a/b__c", "localhost/a/b__c", "", "", true},
		{"ghcr.io/x/y@" + sum, "ghcr.io/x/y", "", sum, true},
		{"ghcr.io/x/y:v1@" + sum, "ghcr.io/x/y", "v1", sum, true},
		{"Shop", "", "", "", false},
		{"shop:", "", "", "", false},
		{"shop:-x", "", "", "", false},
		{"a//b", "", "", "", false},
		{"host:99999999/x", "", "", "", false},
		{"x@sha256:abc", "", "", "", false},
		{"x@sha512:" + strings.Repeat("a", 128), "", "", "", false},
		{"", "", "", "", false},
	} {
		r, err := Parse(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%q: %v is not ErrInvalid", c.in, err)
			}
			continue
		}
		if r.Repository != c.repo || r.Tag != c.tag || r.Digest != c.digest {
			t.Errorf("%q: %+v", c.in, r)
		}
		if r.String() != c.in {
			t.Errorf("%q: String() = %q: the spelling must be kept", c.in, r.String())
		}
	}
}

func TestParseExplains(t *testing.T) {
	for in, want := range map[string]string{
		"Shop":                   "lowercase",
		"shop:-x":                "tag is not valid",
		"x@sha256:abc":           "sha256:<64 hex digits>",
		"10.77.0.1:70000/app":    "not a TCP port",
		"a b":                    "not [registry/]repository",
		strings.Repeat("a", 300): "longer than 255",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestSplitIsLenientWithWhatDockerWrote(t *testing.T) {
	for in, want := range map[string]Ref{
		"10.77.0.1:5000/app:v1@sha256:ab12": {"10.77.0.1:5000/app", "v1", "sha256:ab12"},
		"10.77.0.1:5000/app@sha256:ab12":    {"10.77.0.1:5000/app", "", "sha256:ab12"},
		"reg:5000/app:v7":                   {"reg:5000/app", "v7", ""},
		"sha256:" + strings.Repeat("f", 64): {"sha256:" + strings.Repeat("f", 64), "", ""},
	} {
		if got := Split(in); got != want {
			t.Errorf("Split(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestNamesAndRegistry(t *testing.T) {
	r := Split("nginx@" + sum)
	if r.Named() != "nginx" || r.WithTag("").Named() != "nginx:latest" || r.TagOrLatest() != "latest" {
		t.Errorf("names of %+v: %q %q", r, r.Named(), r.WithTag("").Named())
	}
	if got := Split("app:v1").WithDigest(sum).String(); got != "app:v1@"+sum {
		t.Errorf("WithDigest: %q", got)
	}
	for in, want := range map[string][2]string{
		"nginx":                 {"docker.io", "library/nginx"},
		"10.77.0.1:5000/app:v1": {"10.77.0.1:5000", "app"},
		"ghcr.io/o/r":           {"ghcr.io", "o/r"},
	} {
		if h, p := Split(in).Registry(); h != want[0] || p != want[1] {
			t.Errorf("Registry(%q) = %q %q", in, h, p)
		}
	}
	if !ValidDigest(sum) || ValidDigest("sha256:ab") || ValidDigest("md5:"+strings.Repeat("a", 32)) {
		t.Error("ValidDigest")
	}
}
