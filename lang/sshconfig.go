package lang

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/internal/sshconfig"
)

// sshExplicit says which ssh block settings the configuration gives
// itself: those win over an OpenSSH config file, which wins over berth's
// defaults.
type sshExplicit struct {
	user, port, identity, knownHosts, proxyJump bool
	config                                      *hcl.Attribute // ssh.config, nil when not given
	block                                       *hcl.Block
}

// openSSHConfig reads the OpenSSH client config the ssh block names
// (`config = PATH`), else ~/.ssh/config when it exists; `config = false`
// reads none. nil when there is none or after a diagnostic.
func (l *loader) openSSHConfig(ex sshExplicit) *sshconfig.File {
	home := l.env["HOME"]
	path, explicit := "", ex.config != nil
	if explicit {
		v, diags := l.eval(ex.config.Expr)
		l.diags = append(l.diags, diags...)
		switch {
		case diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown():
			return nil
		case v.Type() == cty.Bool && v.False():
			return nil
		case v.Type() == cty.String && !v.IsMarked() && v.AsString() != "":
			path = expandHome(v.AsString(), home)
			if !filepath.IsAbs(path) {
				path = filepath.Join(l.opts.Dir, path)
			}
		default:
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid ssh config",
				Detail: `config is the path of an OpenSSH client config file, e.g. "~/.ssh/config", or false to read none.`, Subject: ex.config.Expr.Range().Ptr()})
			return nil
		}
	} else if home != "" {
		path = expandHome("~/.ssh/config", home)
	} else {
		return nil
	}
	f, err := sshconfig.Read(path, home)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && (!explicit || l.opts.Validate) {
			return nil
		}
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read the OpenSSH config",
			Detail: fmt.Sprintf("%v. Set ssh { config = false } to read none.", err)}
		if explicit {
			d.Subject = ex.config.Expr.Range().Ptr()
		} else if ex.block != nil {
			d.Subject = ex.block.DefRange.Ptr()
		} else {
			d.Subject = l.firstFileRange()
		}
		l.diags = append(l.diags, d)
		return nil
	}
	return f
}

// applySSHConfig resolves every host's address as a Host alias of the
// OpenSSH config: what the config sets for it fills in what neither the
// host block nor the ssh block sets. blocks parallel hosts.
func (l *loader) applySSHConfig(f *sshconfig.File, ex sshExplicit, hosts []Host, blocks []*hcl.Block) {
	if f == nil {
		return
	}
	for i := range hosts {
		h := &hosts[i]
		if h.Address == "" {
			continue
		}
		s, err := f.Lookup(h.Address)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid OpenSSH config",
				Detail: fmt.Sprintf("For host %s: %v.", h.Name, err), Subject: blocks[i].DefRange.Ptr()})
			continue
		}
		if s.HostName != "" {
			h.Address = s.HostName
		}
		if h.User == "" && !ex.user {
			h.User = s.User
		}
		if h.Port == 0 && !ex.port {
			h.Port = s.Port
		}
		if !ex.identity {
			h.Identity = s.IdentityFile
		}
		if !ex.knownHosts {
			h.KnownHosts = s.KnownHosts
		}
		if !ex.proxyJump {
			h.ProxyJump = s.ProxyJump
		}
	}
}
