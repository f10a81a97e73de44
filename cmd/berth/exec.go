package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/berth-sh/berth/executor/oneoff"
	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/lang"
)

type execOptions struct {
	vars        varFlags
	hosts       []string
	primary     bool
	interactive bool
	reuse       bool
}

func newExecCmd(a *app) *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec ROLE [--host H | --primary] [--interactive] [--reuse] -- CMD [ARG...]",
		Short: "Run a command in a one-off container of the role's deployed version, with its environment",
		Long: `Run CMD (an argv, no shell: write sh -c '...' for one, if the image has a
shell) on each host of ROLE, one host after the other, in a new one-off
container of the image the role runs there (no pull), with the role's env
and secret_env and volumes. Secrets travel inside the Docker API request
over SSH: never on a command line, in a file or in the output. The
container is removed afterwards, also on Ctrl-C.

--reuse runs CMD in the role's running container instead (docker exec).
--interactive attaches your stdin (and a terminal when you have one).
The exit status is the command's (the first non-zero one over the hosts).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 || len(args) < 2 {
				return errors.New("usage: berth exec ROLE [flags] -- CMD [ARG...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.exec(cmd.Context(), o, args[0], args[1:]) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.StringArrayVar(&o.hosts, "host", nil, "only this host (repeatable)")
	f.BoolVar(&o.primary, "primary", false, "only the role's primary host (the first it lists)")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "attach stdin (and a terminal when stdin is one)")
	f.BoolVar(&o.reuse, "reuse", false, "run in the running container instead of a new one")
	return cmd
}

func (a *app) exec(ctx context.Context, o execOptions, target string, argv []string) error {
	if o.reuse && o.interactive {
		return errors.New("--interactive runs in a one-off container; it cannot be combined with --reuse")
	}
	if o.primary && len(o.hosts) > 0 {
		return errors.New("--primary and --host exclude each other")
	}
	cfg, err := a.loadConfig(ctx, o.vars)
	if err != nil {
		return err
	}
	role := findRole(cfg, target)
	if role == nil {
		_, _, _, err := resolveTarget(cfg, target)
		if err == nil {
			err = fmt.Errorf("%s is an accessory: berth exec runs in roles", target)
		}
		return err
	}
	hosts := role.Hosts
	if o.primary {
		hosts = hosts[:1]
	}
	for _, h := range o.hosts {
		if !slices.Contains(role.Hosts, h) {
			return fmt.Errorf("--host %s: role %s does not run on it (it runs on %s)", h, role.Name, strings.Join(role.Hosts, ", "))
		}
	}
	if len(o.hosts) > 0 {
		hosts = slices.DeleteFunc(slices.Clone(hosts), func(h string) bool { return !slices.Contains(o.hosts, h) })
	}
	if o.interactive && len(hosts) > 1 {
		return fmt.Errorf("--interactive needs one host: add --primary or --host (role %s runs on %s)", role.Name, strings.Join(hosts, ", "))
	}
	sess, err := a.session(cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	status := 0
	for _, h := range hosts {
		if len(hosts) > 1 {
			fmt.Fprintf(a.Err, "== %s\n", h)
		}
		code, err := a.execOn(ctx, cfg, sess, role, h, argv, o)
		if err != nil {
			return fmt.Errorf("host %s: %w", h, err)
		}
		if status == 0 {
			status = code
		}
	}
	if status != 0 {
		return exitError{code: status}
	}
	return nil
}

func (a *app) execOn(ctx context.Context, cfg *lang.Config, sess *deploy.Session, role *lang.Role, host string, argv []string, o execOptions) (int, error) {
	st, err := sess.ReadState(ctx, host)
	if err != nil {
		return -1, err
	}
	c, ok := pick(st.Containers, role.Name, "")
	if !ok {
		return -1, fmt.Errorf("no container of role %s: deploy it first with berth apply", role.Name)
	}
	d, err := sess.Docker(ctx, host)
	if err != nil {
		return -1, err
	}
	if o.reuse {
		if !c.Running() {
			return -1, fmt.Errorf("%s is %s, not running: run without --reuse for a one-off container", c.Name, c.State)
		}
		code, out, err := d.Exec(ctx, c.ID, argv)
		a.Out.Write(out)
		return code, err
	}
	spec := oneoff.Spec{Service: cfg.Service.Name, Role: role.Name, Image: c.Image, Cmd: argv, Env: roleEnv(role), Volumes: role.Volumes,
		Interactive: o.interactive}
	if o.interactive {
		if in, ok := a.In.(*os.File); ok && term.IsTerminal(int(in.Fd())) {
			spec.TTY = true
			old, err := term.MakeRaw(int(in.Fd()))
			if err == nil {
				defer term.Restore(int(in.Fd()), old)
			}
		}
	}
	return oneoff.Run(ctx, d, spec, oneoff.Streams{In: a.In, Out: a.Out, Err: a.Err})
}

func findRole(cfg *lang.Config, name string) *lang.Role {
	for i := range cfg.Roles {
		if cfg.Roles[i].Name == name {
			return &cfg.Roles[i]
		}
	}
	return nil
}

// roleEnv is the role's environment, secret values included.
func roleEnv(r *lang.Role) []string {
	env := make([]string, 0, len(r.Env)+len(r.SecretEnv))
	for k, v := range r.Env {
		env = append(env, k+"="+v)
	}
	for k, s := range r.SecretEnv {
		env = append(env, k+"="+s.Value())
	}
	sort.Strings(env)
	return env
}
