package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-sh/berth/executor/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// pull fetches the reviewed image (by digest) unless the host has it.
func (r *run) pull(ctx context.Context, d Docker, b *branch) error {
	ref := b.change.Desired.Image
	octx, cancel := r.op(ctx)
	defer cancel()
	if ok, err := d.ImageExists(octx, ref); err == nil && ok {
		return nil
	}
	if err := d.Pull(octx, ref, r.auth(ref)); err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	return nil
}

// auth returns the registry credentials for ref, if it lives in the
// configured registry.
func (r *run) auth(ref string) *dockerapi.Auth {
	reg := r.cfg.Registry
	if reg == nil || registryHost(ref) != reg.Server {
		return nil
	}
	return &dockerapi.Auth{Username: reg.Username, Password: reg.Password.Value(), ServerAddress: reg.Server}
}

// registryHost is the registry part of an image reference ("" for Docker Hub).
func registryHost(ref string) string {
	i := strings.IndexByte(ref, '/')
	if i < 0 {
		return ""
	}
	host := ref[:i]
	if strings.ContainsAny(host, ".:") || host == "localhost" {
		return host
	}
	return ""
}

// create makes the new container without starting it. A container of the
// same name (same version, another config) is renamed out of the way first.
func (r *run) create(ctx context.Context, d Docker, b *branch) error {
	c := b.change
	spec := c.Desired
	if old, ok := retained(c); ok {
		// The very container is retained, stopped: start it again instead
		// of making a copy (a rollback needs no pull and no registry).
		b.newID, b.reused = old.ID, true
		return nil
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	for _, old := range liveContainers(c) {
		if old.Name == spec.Name {
			to := spec.Name + "-" + shortID(old.ID)
			if err := d.Rename(octx, old.ID, to); err != nil {
				return fmt.Errorf("rename %s out of the way: %w", old.Name, err)
			}
		}
	}
	env, err := r.env(c)
	if err != nil {
		return err
	}
	if spec.Network != "" {
		if err := r.ensureNetwork(octx, d, c.Address.Host, spec.Network); err != nil {
			return err
		}
	}
	ports, err := parsePorts(spec.Ports)
	if err != nil {
		return err
	}
	id, err := d.Create(octx, spec.Name, dockerapi.CreateSpec{
		Image:         spec.Image,
		Cmd:           spec.Cmd,
		Env:           env,
		Labels:        spec.Labels,
		Ports:         ports,
		Binds:         spec.Volumes,
		Healthcheck:   healthConfig(spec.Health),
		StopTimeout:   spec.StopTimeout,
		RestartPolicy: "unless-stopped",
		Network:       spec.Network,
	})
	if err != nil {
		return proxyConflict(c, fmt.Errorf("create %s: %w", spec.Name, err))
	}
	b.newID = id
	return nil
}

// retained finds a stopped container of this address that is exactly the
// desired one: same version, same config hash.
func retained(c *planner.Change) (planner.Container, bool) {
	for _, o := range c.Others {
		if !o.Running() && o.Version == c.Desired.Labels[planner.LabelVersion] && o.ConfigHash == c.Desired.ConfigHash {
			return o, true
		}
	}
	return planner.Container{}, false
}

// env is the container's environment: plain values from the plan, secret
// values from the configuration, checked against the plan's hashes.
func (r *run) env(c *planner.Change) ([]string, error) {
	spec := c.Desired
	secrets, salt := r.secretsFor(c.Address)
	env := make([]string, 0, len(spec.Env)+len(spec.SecretEnv))
	for k, v := range spec.Env {
		env = append(env, k+"="+v)
	}
	for k, want := range spec.SecretEnv {
		s, ok := secrets[k]
		if !ok || s.Hash(salt+"/"+k) != want {
			return nil, fmt.Errorf("secret %s of %s changed since the plan was made; plan again", k, c.Address)
		}
		env = append(env, k+"="+s.Value())
	}
	sort.Strings(env)
	return env, nil
}

func (r *run) secretsFor(a planner.Address) (map[string]lang.Secret, string) {
	svc := r.cfg.Service.Name
	if a.Accessory != "" {
		for _, acc := range r.cfg.Accessories {
			if acc.Name == a.Accessory {
				return acc.SecretEnv, svc + "/accessory." + acc.Name
			}
		}
		return nil, ""
	}
	for _, role := range r.cfg.Roles {
		if role.Name == a.Role {
			return role.SecretEnv, svc + "/" + role.Name
		}
	}
	return nil, ""
}

// start starts the new container. When the old one was stopped first (it
// held a host port) and the new one cannot start, the old one is started
// again.
func (r *run) start(ctx context.Context, d Docker, b *branch) error {
	octx, cancel := r.op(ctx)
	defer cancel()
	err := d.Start(octx, b.newID)
	if err == nil {
		b.started = true
		return nil
	}
	err = fmt.Errorf("start %s: %w", b.change.Desired.Name, err)
	if cerr := r.discardNew(ctx, d, b); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// stopOld stops the container that served until now; it is kept (stopped)
// for a fast rollback until prune removes it.
func (r *run) stopOld(ctx context.Context, d Docker, b *branch) error {
	old := b.change.Running
	if old == nil {
		b.oldDone = true
		return nil
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	if err := d.Stop(octx, old.ID, r.stopTimeout(b)); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
		return fmt.Errorf("stop %s: %w", old.Name, err)
	}
	b.oldStopped, b.oldDone = true, true
	return nil
}

func (r *run) stopTimeout(b *branch) (t time.Duration) {
	if b.change.Desired != nil && b.change.Desired.StopTimeout > 0 {
		return b.change.Desired.StopTimeout
	}
	return r.cfg.Deploy.StopTimeout
}

// health waits for the new container to turn healthy. On failure the new
// container is removed and the old one keeps, or resumes, serving.
func (r *run) health(ctx context.Context, d Docker, b *branch) error {
	err := r.waitHealthy(ctx, d, b)
	if err == nil {
		b.healthy = true
		return nil
	}
	if cerr := r.discardNew(context.WithoutCancel(ctx), d, b); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}

// discardNew removes the new container and makes sure the old one runs.
func (r *run) discardNew(ctx context.Context, d Docker, b *branch) error {
	var errs []error
	octx, cancel := r.op(ctx)
	defer cancel()
	if b.switched {
		// The proxy routes to the new container: route back first.
		if err := r.switchBack(octx, d, b); err != nil {
			errs = append(errs, err)
		}
	}
	if b.newID != "" {
		if b.started {
			if err := d.Stop(octx, b.newID, r.stopTimeout(b)); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				errs = append(errs, fmt.Errorf("stop new container: %w", err))
			}
		}
		if b.reused {
			b.discarded = true // a retained container stays retained, stopped
		} else if err := d.Remove(octx, b.newID, true); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("remove new container: %w", err))
		} else {
			b.discarded = true
		}
	}
	if old := b.change.Running; old != nil && b.oldStopped {
		if err := r.freePortsForOld(octx, d, b); err != nil {
			errs = append(errs, err)
		}
		if err := d.Start(octx, old.ID); err != nil {
			errs = append(errs, fmt.Errorf("start %s again: %w", old.Name, err))
		} else {
			b.oldStopped = false
			r.rep.Event(b.addr(), "restarted "+old.Name)
		}
		if err := r.restartProxy(octx, d, b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// prune removes the stopped containers of this address beyond retain.
func (r *run) prune(ctx context.Context, d Docker, b *branch) error {
	keep := r.cfg.Deploy.Retain
	var stopped []planner.Container
	for _, c := range liveContainers(b.change) {
		if c.ID == b.newID {
			continue
		}
		if b.change.Running != nil && c.ID == b.change.Running.ID {
			if !b.oldStopped {
				continue
			}
		} else if c.Running() {
			continue
		}
		stopped = append(stopped, c)
	}
	if len(stopped) <= keep {
		return nil
	}
	sort.SliceStable(stopped, func(i, j int) bool { return stopped[i].Created.After(stopped[j].Created) })
	octx, cancel := r.op(ctx)
	defer cancel()
	var errs []error
	for _, c := range stopped[keep:] {
		if err := d.Remove(octx, c.ID, false); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("prune %s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// remove stops and removes every container of an address that left the
// configuration.
func (r *run) remove(ctx context.Context, d Docker, b *branch) error {
	octx, cancel := r.op(ctx)
	defer cancel()
	if b.change.Address.Proxy {
		return r.stopProxy(octx, d, b)
	}
	r.unroute(octx, d, b)
	var errs []error
	for _, c := range liveContainers(b.change) {
		if err := d.Remove(octx, c.ID, true); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("remove %s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// liveContainers are the live containers of a change: the running one and
// the others.
func liveContainers(c *planner.Change) []planner.Container {
	var out []planner.Container
	if c.Running != nil {
		out = append(out, *c.Running)
	}
	return append(out, c.Others...)
}

// parsePorts turns "[ip:]host:container[/proto]" back into bindings.
func parsePorts(specs []string) ([]dockerapi.Port, error) {
	var out []dockerapi.Port
	for _, s := range specs {
		p := dockerapi.Port{Protocol: "tcp"}
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			p.Protocol, s = s[i+1:], s[:i]
		}
		parts := strings.Split(s, ":")
		if len(parts) == 3 {
			p.HostIP, parts = parts[0], parts[1:]
		}
		if len(parts) != 2 {
			return nil, fmt.Errorf("malformed port mapping %q", s)
		}
		var err1, err2 error
		p.HostPort, err1 = strconv.Atoi(parts[0])
		p.ContainerPort, err2 = strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed port mapping %q", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// healthConfig is Docker's own health check for a spec, so that the
// container's health stays visible (docker ps, berth status) after the
// deploy. A list runs without a shell ("CMD"); only a string uses one.
func healthConfig(h planner.HealthSpec) *dockerapi.HealthConfig {
	var test []string
	switch h.Kind {
	case "cmd":
		test = append([]string{"CMD"}, h.Cmd...)
	case "shell":
		test = []string{"CMD-SHELL", h.Shell}
	default:
		return nil // http is polled by berth; auto keeps the image's own
	}
	retries := h.Retries
	if retries <= 0 {
		retries = 3
	}
	// The deploy's deadline is Docker's start period: failures while the
	// container boots do not count. berth decides the deploy's verdict by
	// probing itself; Docker's check watches the container afterwards.
	return &dockerapi.HealthConfig{Test: test, Interval: h.Interval, Timeout: max(h.Interval, 5*time.Second), Retries: retries, StartPeriod: h.Deadline}
}
