package dockerapi

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
)

// File is one file to copy into a container.
type File struct {
	Path string // relative to the directory it is copied into, e.g. "tls/site.key"
	Mode int64  // e.g. 0o600
	Data []byte
}

// CopyTo copies files into the directory dir of container id (a volume
// mounted there included) through the Engine API's archive upload, the way
// `docker cp` does, owned by the container's user. The contents travel in
// the request body: never on a command line, never in a process listing.
func (c *Client) CopyTo(ctx context.Context, id, dir string, files []File) error {
	archive, err := Tarball(files)
	if err != nil {
		return err
	}
	q := url.Values{"path": {dir}, "copyUIDGID": {"true"}}
	r := request{method: http.MethodPut, path: "/containers/" + url.PathEscape(id) + "/archive", query: q,
		raw: archive, header: http.Header{"Content-Type": {"application/x-tar"}}}
	return c.wrap("copy files into", id, c.call(ctx, r, nil))
}

// Tarball is a tar archive of files, with every directory they need
// (mode 0700) before them.
func Tarball(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	var dirs []string
	for _, f := range files {
		for d := path.Dir(f.Path); d != "." && d != "/"; d = path.Dir(d) {
			if !slices.Contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	slices.SortFunc(dirs, func(a, b string) int { return strings.Count(a, "/") - strings.Count(b, "/") })
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o700, ModTime: now}); err != nil {
			return nil, fmt.Errorf("archive %s: %w", d, err)
		}
	}
	for _, f := range files {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.Path, Mode: f.Mode, Size: int64(len(f.Data)), ModTime: now}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("archive %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("archive %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return buf.Bytes(), nil
}
