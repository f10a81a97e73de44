package lang

import (
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // Port.String(), "" = error
	}{
		{"80:8080", "80:8080"},
		{"127.0.0.1:80:8080", "127.0.0.1:80:8080"},
		{"53:53/udp", "53:53/udp"},
		{"53:53/tcp", "53:53"},
		{"80", ""},
		{"0:80", ""},
		{"80:65536", ""},
		{"x:80", ""},
		{"080:80", ""},
		{"a.b:80:80", ""},
		{"80:80/sctp", ""},
	} {
		p, err := parsePort(c.in)
		got := ""
		if err == nil {
			got = p.String()
		}
		if got != c.want {
			t.Errorf("%q: got %q (%v), want %q", c.in, got, err, c.want)
		}
	}
}

func TestShortVersion(t *testing.T) {
	for _, c := range []struct {
		in   string
		git  bool
		want string
	}{
		{"3f2a9c1", true, "3f2a9c1"},
		{"3f2a9c1d-dirty", true, "3f2a9c1-dirty"},
		{"v1.2.3", false, "v1.2.3"},
		{"release_2024", false, "release_2024"},
		{"_x", false, "x"},
		{strings.Repeat("a", 100), false, strings.Repeat("a", 64)},
	} {
		if got := shortVersion(c.in, c.git); got != c.want {
			t.Errorf("shortVersion(%q, %v) = %q, want %q", c.in, c.git, got, c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	out, diags := Format([]byte("role \"web\" {\nhosts=[host.h1]\n  cmd = [\"/app\"]\n}\n"), "berth.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := "role \"web\" {\n  hosts = [host.h1]\n  cmd   = [\"/app\"]\n}\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, diags := Format([]byte("role {"), "bad.hcl"); !diags.HasErrors() {
		t.Error("no error for a syntax error")
	}
}

func TestUnifiedDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	b := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	want := `--- f
+++ f
@@ -1,5 +1,5 @@
 a
-b
+B
 c
 d
 e
@@ -8,3 +8,4 @@
 h
 i
 j
+k
`
	if got := UnifiedDiff("f", []byte(a), []byte(b)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if UnifiedDiff("f", []byte(a), []byte(a)) != "" {
		t.Error("diff of equal inputs")
	}
}
