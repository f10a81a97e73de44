package planner

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/berth-sh/berth/lang"
)

// ProxyPagesDir is where berth copies the roles' error pages in the
// proxy's volume, one folder per route and version of the pages.
const ProxyPagesDir = ProxyConfigDir + "/berth-pages"

// PagesDigest is the digest of a role's error pages ("sha256:<hex>"), ""
// without any: a change of a page is a change of the route.
func PagesDigest(p *lang.ErrorPages) string {
	if p == nil {
		return ""
	}
	h := sha256.New()
	for _, name := range p.Names() {
		h.Write([]byte(name + "\x00"))
		sum := sha256.Sum256(p.Files[name])
		h.Write(sum[:])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// PagesPath is the folder, inside the proxy container, of the route's
// error pages with that digest.
func PagesPath(route, digest string) string {
	return ProxyPagesDir + "/" + route + "/" + short(digest)
}
