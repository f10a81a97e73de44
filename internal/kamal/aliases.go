package kamal

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// aliases writes an alias block per Kamal alias whose command berth has.
func (c *conv) aliases(body *hclwrite.Body, root *obj) {
	al := root.sub("aliases")
	if al == nil {
		return
	}
	for _, name := range al.keys() {
		v := al.get(name)
		s, _ := scalar(v)
		words, ok := shellWords(s)
		argv, why := c.aliasCommand(words)
		if !ok || why != "" {
			if !ok || why == "-" {
				why = "berth has no command for `kamal " + s + "`"
			}
			c.unmapped(body, keyNode(al, name), v, al.key(name), why)
			continue
		}
		label := name
		if c.reserved(name) {
			label = "kamal-" + name
			c.warn(keyNode(al, name), al.key(name), "berth has a command "+name+" of its own: the alias is "+label)
		}
		attr(body.AppendNewBlock("alias", []string{label}).Body(), "command", listSrc(c.strs(argv)))
	}
}

// aliasCommand maps a Kamal command line to berth's. why is "" when it
// maps, "-" when berth has no such command, else what berth lacks.
func (c *conv) aliasCommand(w []string) ([]string, string) {
	if len(w) == 0 {
		return nil, "-"
	}
	switch {
	case len(w) >= 2 && w[0] == "app" && w[1] == "exec":
		return c.execCommand(c.primary, w[2:])
	case len(w) >= 3 && w[0] == "accessory" && w[1] == "exec":
		return c.execCommand(w[2], w[3:])
	case len(w) >= 2 && w[0] == "app" && w[1] == "logs":
		return mapped(c.logsCommand([]string{"logs", c.primary}, w[2:]))
	case len(w) >= 3 && w[0] == "accessory" && w[1] == "logs":
		return mapped(c.logsCommand([]string{"accessory", "logs", w[2]}, w[3:]))
	case len(w) == 2 && w[0] == "app" && (w[1] == "stop" || w[1] == "start"):
		return []string{w[1], c.primary}, ""
	case len(w) >= 2 && w[0] == "accessory" && (w[1] == "stop" || w[1] == "start" || w[1] == "restart"):
		return w, ""
	case len(w) == 1 && w[0] == "details", len(w) == 2 && w[0] == "app" && w[1] == "details":
		return []string{"status"}, ""
	case w[0] == "deploy" || w[0] == "redeploy":
		return c.applyCommand(w[1:])
	case w[0] == "rollback" || w[0] == "lock" || w[0] == "audit":
		return w, ""
	}
	return nil, "-"
}

// mapped is aliasCommand's result of a mapping that succeeds or not.
func mapped(argv []string, ok bool) ([]string, string) {
	if !ok {
		return nil, "-"
	}
	return argv, ""
}

// applyCommand maps the flags of `kamal deploy` to berth apply's: -P
// (--skip-push) is --no-build, -H (--skip-hooks) --no-hooks, -r (--roles)
// a --target per role and --version a --var version= where the import
// declares that variable.
func (c *conv) applyCommand(w []string) ([]string, string) {
	out := []string{"apply"}
	for i := 0; i < len(w); i++ {
		flag, val, hasVal := strings.Cut(w[i], "=")
		takes := flag == "--version" || flag == "--roles" || flag == "-r"
		if takes && !hasVal && i+1 < len(w) {
			val, hasVal = w[i+1], true
			i++
		}
		switch {
		case flag == "-P" || flag == "--skip-push":
			out = append(out, "--no-build")
		case flag == "-H" || flag == "--skip-hooks":
			out = append(out, "--no-hooks")
		case (flag == "--roles" || flag == "-r") && hasVal:
			for _, r := range strings.Split(val, ",") {
				out = append(out, "--target", strings.TrimSpace(r))
			}
		case flag == "--version" && hasVal && c.opts.VersionVariable:
			out = append(out, "--var", "version="+val)
		case flag == "--version":
			return nil, "berth deploys git HEAD here (the variable version is for a folder outside git): `kamal deploy --version` has no equivalent"
		default:
			return nil, "berth apply has no equivalent for Kamal's " + w[i]
		}
	}
	return out, ""
}

// execCommand maps `app exec` flags and its command; berth's exec runs
// in one role, so --roles names one.
func (c *conv) execCommand(target string, w []string) ([]string, string) {
	out := []string{"exec", target}
	var cmd []string
	for _, a := range w {
		switch {
		case a == "-i" || a == "--interactive":
			out = append(out, "-i")
		case a == "--reuse":
			out = append(out, "--reuse")
		case a == "--primary" || a == "-p":
			out = append(out, "--primary")
		case strings.HasPrefix(a, "--roles=") || strings.HasPrefix(a, "-r="):
			out[1] = a[strings.Index(a, "=")+1:]
			if strings.Contains(out[1], ",") {
				return nil, "berth exec runs in one role or accessory, not in each of " + out[1]
			}
		case strings.HasPrefix(a, "-"):
			return nil, "-"
		default:
			words, ok := shellWords(a)
			if !ok {
				words = []string{"sh", "-c", a}
			}
			cmd = append(cmd, words...)
		}
	}
	if len(cmd) == 0 {
		return nil, "-"
	}
	return append(append(out, "--"), cmd...), ""
}

func (c *conv) logsCommand(out, w []string) ([]string, bool) {
	for i := 0; i < len(w); i++ {
		switch a := w[i]; {
		case a == "-f" || a == "--follow":
			out = append(out, "-f")
		case (a == "-n" || a == "--lines" || a == "-s" || a == "--since") && i+1 < len(w):
			flag := map[string]string{"-n": "-n", "--lines": "-n", "-s": "--since", "--since": "--since"}[a]
			out = append(out, flag, w[i+1])
			i++
		default:
			return nil, false
		}
	}
	return out, true
}
