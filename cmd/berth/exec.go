package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-sh/berth/executor/console"
	"github.com/berth-sh/berth/executor/oneoff"
	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
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
		Use:   "exec ROLE|ACCESSORY [--host H | --primary] [--interactive] [--reuse] -- CMD [ARG...]",
		Short: "Run a command in a one-off container of a role, or in the running container of a role or accessory",
		Long: `Run CMD (an argv, no shell: write sh -c '...' for one, if the image has a
shell) on each host of ROLE, one host after the other, in a new one-off
container of the image the role runs there (no pull), with the role's env
and secret_env and volumes. Secrets travel inside the Docker API request
over SSH: never on a command line, in a file or in the output. The
container is removed afterwards, also on Ctrl-C.

--reuse runs CMD in the role's running container instead (docker exec).
An ACCESSORY (also written accessory.NAME) is always its running
container: berth exec db -- psql -c 'select 1'.
--interactive attaches your stdin and, when it is a terminal, gives CMD a
terminal too (raw mode, your window size): berth exec web -i --reuse -- sh
is a console in the running container. It needs one host.
The exit status is the command's (the first non-zero one over the hosts).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 || len(args) < 2 {
				return errors.New("usage: berth exec ROLE|ACCESSORY [flags] -- CMD [ARG...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.exec(cmd.Context(), o, args[0], args[1:]) },
	}
	f := cmd.Flags()
	o.vars.register(f)
	f.StringArrayVar(&o.hosts, "host", nil, "only this host (repeatable)")
	f.BoolVar(&o.primary, "primary", false, "only the first host of the role or accessory")
	f.BoolVarP(&o.interactive, "interactive", "i", false, "attach stdin (and a terminal when stdin is one)")
	f.BoolVar(&o.reuse, "reuse", false, "run in the running container instead of a new one (always so for an accessory)")
	return cmd
}

// execTarget is what berth exec runs in: a role or an accessory, on hosts.
type execTarget struct {
	role  *lang.Role // nil for an accessory
	acc   string
	what  string // "role web", "accessory db"
	hosts []string
}

func (a *app) exec(ctx context.Context, o execOptions, target string, argv []string) error {
	if o.primary && len(o.hosts) > 0 {
		return errors.New("--primary and --host exclude each other")
	}
	cfg, err := a.loadConfig(ctx, o.vars)
	if err != nil {
		return err
	}
	t, err := execTargetOf(cfg, target, o)
	if err != nil {
		return err
	}
	sess, err := a.session(cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	status := 0
	for _, h := range t.hosts {
		if len(t.hosts) > 1 {
			fmt.Fprintf(a.Err, "== %s\n", h)
		}
		code, err := a.execOn(ctx, cfg, sess, t, h, argv, o)
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

// execTargetOf resolves the role or accessory and the hosts to run on.
func execTargetOf(cfg *lang.Config, target string, o execOptions) (execTarget, error) {
	role, acc, hosts, err := resolveTarget(cfg, target)
	if err != nil {
		return execTarget{}, err
	}
	t := execTarget{role: findRole(cfg, role), acc: acc, what: "role " + role, hosts: hosts}
	if acc != "" {
		t.what = "accessory " + acc
	}
	if o.primary {
		t.hosts = hosts[:1]
	}
	for _, h := range o.hosts {
		if !slices.Contains(hosts, h) {
			return execTarget{}, fmt.Errorf("--host %s: %s does not run on it (it runs on %s)", h, t.what, strings.Join(hosts, ", "))
		}
	}
	if len(o.hosts) > 0 {
		t.hosts = slices.DeleteFunc(slices.Clone(t.hosts), func(h string) bool { return !slices.Contains(o.hosts, h) })
	}
	if o.interactive && len(t.hosts) > 1 {
		return execTarget{}, fmt.Errorf("--interactive needs one host: add --primary or --host (%s runs on %s)", t.what, strings.Join(t.hosts, ", "))
	}
	return t, nil
}

func (a *app) execOn(ctx context.Context, cfg *lang.Config, sess *deploy.Session, t execTarget, host string, argv []string, o execOptions) (int, error) {
	st, err := sess.ReadState(ctx, host)
	if err != nil {
		return -1, err
	}
	roleName := ""
	if t.role != nil {
		roleName = t.role.Name
	}
	c, ok := pick(st.Containers, roleName, t.acc)
	if !ok {
		return -1, fmt.Errorf("no container of %s: deploy it first with berth apply", t.what)
	}
	d, err := sess.Docker(ctx, host)
	if err != nil {
		return -1, err
	}
	streams, tty, restore, err := a.execStreams(o.interactive)
	if err != nil {
		return -1, err
	}
	defer restore()
	if o.reuse || t.role == nil {
		if !c.Running() {
			return -1, notRunning(c, t)
		}
		return console.Exec(ctx, d, c.ID, console.Spec{Cmd: argv, Interactive: o.interactive, TTY: tty}, streams)
	}
	spec := oneoff.Spec{Service: cfg.Service.Name, Role: roleName, Image: c.Image, Cmd: argv, Env: roleEnv(t.role), Volumes: t.role.Volumes,
		Network: containerNetwork(c), Interactive: o.interactive, TTY: tty}
	return oneoff.Run(ctx, d, spec, oneoff.Streams{In: streams.In, Out: streams.Out, Err: streams.Err, Sizes: streams.Sizes})
}

// containerNetwork is the network a role container was created on, which
// a one-off copy of it joins ("" for one of a berth without networks).
func containerNetwork(c planner.Container) string {
	s, _ := planner.ParseSpecSummary(c.Labels[planner.LabelSpec])
	return s.Network
}

func notRunning(c planner.Container, t execTarget) error {
	if t.role == nil {
		return fmt.Errorf("%s is %s, not running: berth accessory start %s starts it", c.Name, c.State, t.acc)
	}
	return fmt.Errorf("%s is %s, not running: run without --reuse for a one-off container", c.Name, c.State)
}

// execStreams are the caller's streams; with --interactive on a terminal,
// the terminal in raw mode (restore puts it back) and its sizes.
func (a *app) execStreams(interactive bool) (s console.Streams, tty bool, restore func(), err error) {
	s = console.Streams{In: a.In, Out: a.Out, Err: a.Err}
	if !interactive {
		return s, false, func() {}, nil
	}
	t, ok, err := console.Raw(a.In)
	if err != nil || !ok {
		return s, false, func() {}, err
	}
	s.Sizes = t.Sizes()
	return s, true, t.Restore, nil
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
