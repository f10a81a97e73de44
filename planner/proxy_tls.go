package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/berth-sh/berth/lang"
)

// ProxyConfigDir is where the proxy's volume is mounted in the proxy
// container: kamal-proxy's state, the ACME cache (ProxyACMECache) and the
// certificates berth copies in (ProxyTLSDir) live there, so a replaced
// proxy container finds all of them again.
const (
	ProxyConfigDir = "/home/kamal-proxy/.config/kamal-proxy"
	ProxyTLSDir    = ProxyConfigDir + "/berth-tls"
	ProxyACMECache = ProxyConfigDir + "/certs"
)

// RouteTLS is the TLS of a route as a plan records it: no key, no
// certificate, only their digests, so that a change of either is a change
// of the route (and of the role's config hash).
type RouteTLS struct {
	// Auto is Let's Encrypt: kamal-proxy asks for the certificate itself.
	Auto bool `json:"auto,omitempty"`
	// Certificate is the SHA-256 of the PEM certificate ("sha256:<hex>").
	Certificate string `json:"certificate,omitempty"`
	// PrivateKey is a salted hash of the key (lang.Secret.Hash).
	PrivateKey string `json:"private_key,omitempty"`
	// NoRedirect keeps plain HTTP answering instead of redirecting to HTTPS.
	NoRedirect bool `json:"no_redirect,omitempty"`
}

// TLSKeySalt is the salt of a role's TLS private key hash.
func TLSKeySalt(service, role string) string { return service + "/" + role + "/tls.private_key" }

// routeTLS is the plan's record of the TLS of a proxy block of a role
// (key "web") or an accessory (key "accessory.docs"), nil without TLS.
func routeTLS(service, key string, p *lang.RoleProxy) *RouteTLS {
	if p.TLS == nil {
		return nil
	}
	t := RouteTLSOf(service, key, p.TLS, !p.TLSRedirect)
	return &t
}

// RouteTLSOf is the plan's record of the TLS tls of a role of service.
func RouteTLSOf(service, role string, tls *lang.ProxyTLS, noRedirect bool) RouteTLS {
	t := RouteTLS{Auto: tls.Auto, NoRedirect: noRedirect}
	if !tls.Auto {
		sum := sha256.Sum256([]byte(tls.Certificate))
		t.Certificate = "sha256:" + hex.EncodeToString(sum[:])
		t.PrivateKey = tls.PrivateKey.Hash(TLSKeySalt(service, role))
	}
	return t
}

// Files are the paths, inside the proxy container, of the route's own
// certificate and key: named by their digests, so a new pair never
// overwrites the pair the route serves until the switch to it succeeded.
func (t *RouteTLS) Files(route string) (cert, key string) {
	sum := sha256.Sum256([]byte(t.Certificate + "\x00" + t.PrivateKey))
	id := hex.EncodeToString(sum[:6])
	dir := ProxyTLSDir + "/" + route
	return dir + "/" + id + ".crt", dir + "/" + id + ".key"
}

// describe renders the TLS of a route for a plan's reasons.
func (t *RouteTLS) describe() string {
	if t == nil {
		return ""
	}
	s := ", tls "
	switch {
	case t.Auto:
		s += "Let's Encrypt"
	default:
		s += fmt.Sprintf("certificate %s key %s", short(t.Certificate), short(t.PrivateKey))
	}
	if t.NoRedirect {
		s += " (http not redirected)"
	}
	return s
}

// short is the first 12 hex digits of a "sha256:<hex>" digest.
func short(digest string) string {
	const prefix = len("sha256:")
	if len(digest) < prefix+12 {
		return digest
	}
	return digest[prefix : prefix+12]
}
