package sim

import (
	"archive/tar"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
)

// upload is PUT /containers/ID/archive: a tar extracted below the query's
// path. The files are kept per daemon (the proxy's are in its volume), so a
// kamal-proxy deploy can check that the certificate it is given exists.
// The caller holds d.mu.
func (d *Docker) upload(w http.ResponseWriter, r *http.Request, q url.Values) {
	dir := q.Get("path")
	if dir == "" {
		apiError(w, http.StatusBadRequest, "path is required")
		return
	}
	if d.files == nil {
		d.files = map[string]int64{}
	}
	tr := tar.NewReader(r.Body)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			apiError(w, http.StatusBadRequest, "bad archive: "+err.Error())
			return
		}
		if h.Typeflag == tar.TypeReg {
			d.files[path.Join(dir, h.Name)] = h.Mode
		}
	}
	w.WriteHeader(http.StatusOK)
}

// Files are the paths of the files copied into containers, with their
// modes as "0600 /path".
func (d *Docker) Files() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, p := range slices.Sorted(maps.Keys(d.files)) {
		out = append(out, modeString(d.files[p])+" "+p)
	}
	return out
}

func modeString(m int64) string {
	return string([]byte{'0', byte('0' + m>>6&7), byte('0' + m>>3&7), byte('0' + m&7)})
}
