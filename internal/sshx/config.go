package sshx

import (
	"errors"
	"fmt"
	"time"
)

// Config is how every host is reached. It is complete when it arrives: the
// configuration language (lang.SSH, the same fields) fills in the defaults,
// and sshx applies none of its own.
type Config struct {
	User           string
	Port           int
	Identity       string // private key path; "" = the SSH agent only
	KnownHosts     string // known_hosts path; host keys are always verified
	HostKeyPolicy  string // PolicyStrict or PolicyAcceptNew
	ProxyJump      string // "[user@]host[:port]" or ""
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
}

// Host is one host under its name. Each setting left zero is Config's: a
// host may have its own user, port, identity file, known_hosts file and
// bastion (an OpenSSH config file gives them per host).
type Host struct {
	Name       string
	Address    string
	User       string
	Port       int
	Identity   string // private key path; "" = Config.Identity
	KnownHosts string // "" = Config.KnownHosts
	ProxyJump  string // "[user@]host[:port]"; "" = Config.ProxyJump
}

// check refuses a host's own proxy jump when it is malformed.
func (h Host) check() error {
	if h.Name == "" || h.Address == "" {
		return fmt.Errorf("ssh: host %q has no name or no address", h.Name)
	}
	if h.ProxyJump != "" {
		if _, _, _, err := parseJump(h.ProxyJump); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	return nil
}

// check refuses a Config with a setting left out.
func (c Config) check() error {
	switch {
	case c.User == "":
		return errors.New("ssh: no user is configured")
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("ssh: port %d is not a TCP port", c.Port)
	case c.ConnectTimeout <= 0:
		return errors.New("ssh: no connect timeout is configured")
	case c.CommandTimeout <= 0:
		return errors.New("ssh: no command timeout is configured")
	case c.HostKeyPolicy != PolicyStrict && c.HostKeyPolicy != PolicyAcceptNew:
		return fmt.Errorf("ssh: known_hosts policy %q is not one of %q, %q", c.HostKeyPolicy, PolicyStrict, PolicyAcceptNew)
	case c.KnownHosts == "":
		return errors.New("ssh: no known_hosts file is configured: host keys are always verified")
	}
	if c.ProxyJump != "" {
		if _, _, _, err := parseJump(c.ProxyJump); err != nil {
			return err
		}
	}
	return nil
}
