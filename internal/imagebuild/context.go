package imagebuild

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ignoreRules are the patterns of a .dockerignore file.
type ignoreRules []ignoreRule

type ignoreRule struct {
	pattern string
	negate  bool
}

// readIgnore reads dir/.dockerignore (none = nothing ignored).
func readIgnore(dir string) (ignoreRules, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rules ignoreRules
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, strings.TrimSpace(line[1:])
		}
		r.pattern = strings.TrimPrefix(path.Clean(filepath.ToSlash(line)), "/")
		rules = append(rules, r)
	}
	return rules, sc.Err()
}

// ignored reports whether rel (slash-separated) is excluded: the last
// matching rule wins; a pattern matches a path or any of its parents.
func (rs ignoreRules) ignored(rel string) bool {
	out := false
	for _, r := range rs {
		if matchPrefix(r.pattern, rel) {
			out = !r.negate
		}
	}
	return out
}

func matchPrefix(pattern, rel string) bool {
	for p := rel; p != "." && p != ""; p = path.Dir(p) {
		if ok, _ := path.Match(pattern, p); ok {
			return true
		}
		if strings.HasPrefix(pattern, "**/") {
			if ok, _ := path.Match(pattern[3:], path.Base(p)); ok {
				return true
			}
		}
	}
	return false
}

// writeContext writes the tar of the build context dir to w; the
// Dockerfile and .dockerignore are always sent. Owners are dropped
// (the daemon owns what it unpacks); BuildKit's cache keys on content.
func writeContext(w io.Writer, dir, dockerfile string) error {
	rules, err := readIgnore(dir)
	if err != nil {
		return fmt.Errorf("reading .dockerignore: %w", err)
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		keep := rel == dockerfile || rel == ".dockerignore"
		if !keep && rules.ignored(rel) {
			if d.IsDir() && !hasNegation(rules) {
				return filepath.SkipDir
			}
			return nil
		}
		return addEntry(tw, p, rel, d)
	})
	if err != nil {
		return fmt.Errorf("packing the build context %s: %w", dir, err)
	}
	return tw.Close()
}

func hasNegation(rs ignoreRules) bool {
	for _, r := range rs {
		if r.negate {
			return true
		}
	}
	return false
}

// addEntry writes one file, folder or symlink.
func addEntry(tw *tar.Writer, p, rel string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	} else if !info.Mode().IsRegular() && !info.IsDir() {
		return nil // sockets, devices: not part of a context
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = rel
	if info.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
