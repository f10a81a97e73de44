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
		argv, mapped := c.aliasCommand(words)
		if !ok || !mapped {
			c.unmapped(body, keyNode(al, name), v, al.key(name), "berth has no command for `kamal "+s+"`")
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

// aliasCommand maps a Kamal command line to berth's.
func (c *conv) aliasCommand(w []string) ([]string, bool) {
	if len(w) == 0 {
		return nil, false
	}
	switch {
	case len(w) >= 2 && w[0] == "app" && w[1] == "exec":
		return c.execCommand(c.primary, w[2:])
	case len(w) >= 3 && w[0] == "accessory" && w[1] == "exec":
		return c.execCommand(w[2], w[3:])
	case len(w) >= 2 && w[0] == "app" && w[1] == "logs":
		return c.logsCommand([]string{"logs", c.primary}, w[2:])
	case len(w) >= 3 && w[0] == "accessory" && w[1] == "logs":
		return c.logsCommand([]string{"accessory", "logs", w[2]}, w[3:])
	case len(w) == 2 && w[0] == "app" && (w[1] == "stop" || w[1] == "start"):
		return []string{w[1], c.primary}, true
	case len(w) >= 2 && w[0] == "accessory" && (w[1] == "stop" || w[1] == "start" || w[1] == "restart"):
		return w, true
	case len(w) == 1 && w[0] == "details", len(w) == 2 && w[0] == "app" && w[1] == "details":
		return []string{"status"}, true
	case w[0] == "deploy" || w[0] == "redeploy":
		return append([]string{"apply"}, w[1:]...), true
	case w[0] == "rollback" || w[0] == "lock" || w[0] == "audit":
		return w, true
	}
	return nil, false
}

// execCommand maps `app exec` flags and its command.
func (c *conv) execCommand(target string, w []string) ([]string, bool) {
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
		case strings.HasPrefix(a, "-"):
			return nil, false
		default:
			words, ok := shellWords(a)
			if !ok {
				words = []string{"sh", "-c", a}
			}
			cmd = append(cmd, words...)
		}
	}
	if len(cmd) == 0 {
		return nil, false
	}
	return append(append(out, "--"), cmd...), true
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
