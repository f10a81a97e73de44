// Package sshconfig reads an OpenSSH client configuration file
// (ssh_config(5), usually ~/.ssh/config) with github.com/kevinburke/ssh_config
// and says what it sets for one host alias: HostName, User, Port,
// IdentityFile, ProxyJump and UserKnownHostsFile, the settings berth uses.
// Host patterns (wildcards, negations, several per line) and Include match
// the way OpenSSH matches them: for each setting, the first value found wins.
//
// It reports only what the file sets; it applies no default and no
// precedence: lang lays berth's own ssh and host settings over what this
// package returns, and internal/sshx dials with the result.
package sshconfig

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// maxSize bounds the file read.
const maxSize = 1 << 20

// File is a parsed configuration file.
type File struct {
	cfg  *ssh_config.Config
	home string
}

// Settings are what a file sets for one alias; a zero field is not set.
type Settings struct {
	HostName     string // the address to dial; "%h" is the alias
	User         string
	Port         int
	IdentityFile string // the first IdentityFile, "~" and %-tokens expanded
	ProxyJump    string // "" also for ProxyJump none
	KnownHosts   string // the first file of UserKnownHostsFile
}

// Read parses the file at path. home expands "~" in the paths the file
// names. A file that does not exist is an error that wraps os.ErrNotExist.
func Read(path, home string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxSize {
		return nil, fmt.Errorf("%s: not a regular file of at most 1 MiB", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := ssh_config.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &File{cfg: cfg, home: home}, nil
}

// Lookup returns what the file sets for alias.
func (f *File) Lookup(alias string) (Settings, error) {
	var s Settings
	get := func(key string) (string, error) {
		v, err := f.cfg.Get(alias, key)
		if err != nil {
			return "", fmt.Errorf("%s for %s: %w", key, alias, err)
		}
		return strings.TrimSpace(v), nil
	}
	var err error
	if s.HostName, err = get("HostName"); err != nil {
		return s, err
	}
	s.HostName = f.expand(s.HostName, alias, alias, "")
	if s.User, err = get("User"); err != nil {
		return s, err
	}
	port, err := get("Port")
	if err != nil {
		return s, err
	}
	if port != "" {
		if s.Port, err = strconv.Atoi(port); err != nil || s.Port < 1 || s.Port > 65535 {
			return s, fmt.Errorf("the Port %q for %s is not a TCP port", port, alias)
		}
	}
	if s.IdentityFile, err = get("IdentityFile"); err != nil {
		return s, err
	}
	if s.ProxyJump, err = get("ProxyJump"); err != nil {
		return s, err
	}
	if strings.EqualFold(s.ProxyJump, "none") {
		s.ProxyJump = ""
	}
	if strings.Contains(s.ProxyJump, ",") {
		return s, fmt.Errorf("ProxyJump %q for %s: berth takes one jump host, not a chain", s.ProxyJump, alias)
	}
	known, err := get("UserKnownHostsFile")
	if err != nil {
		return s, err
	}
	if fields := strings.Fields(known); len(fields) > 0 && fields[0] != "none" {
		s.KnownHosts = fields[0]
	}
	host := s.HostName
	if host == "" {
		host = alias
	}
	s.IdentityFile = f.expand(s.IdentityFile, host, alias, s.User)
	s.KnownHosts = f.expand(s.KnownHosts, host, alias, s.User)
	return s, nil
}

// expand replaces a leading "~/" with the home directory and the tokens
// %h (the host name), %n (the alias), %r (the remote user), %d (home) and
// %% of ssh_config(5) TOKENS.
func (f *File) expand(v, host, alias, user string) string {
	if v == "" {
		return ""
	}
	if f.home != "" && (v == "~" || strings.HasPrefix(v, "~/")) {
		v = filepath.Join(f.home, strings.TrimPrefix(v, "~"))
	}
	r := strings.NewReplacer("%%", "%", "%h", host, "%n", alias, "%r", user, "%d", f.home)
	return r.Replace(v)
}
