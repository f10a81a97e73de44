package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// pull fetches the reviewed image (by digest) unless the host has it.
func (r *run) pull(ctx context.Context, d Docker, b *branch) error {
	ref := b.change.Desired.Image
	octx, cancel := r.op(ctx)
	defer cancel()
	if _, err := r.image(octx, d, b.change.Address.Host, ref); err == nil {
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
// same name (same version, another config, or the very container a
// --replace replaces) is renamed out of the way first.
func (r *run) create(ctx context.Context, d Docker, b *branch) error {
	c := b.change
	spec := c.Desired
	if c.Keep != nil {
		// The desired container already runs beside others: keep it.
		// It runs already; it is not this apply's to stop if it fails.
		b.prepared(c.Keep.ID, originKept)
		return nil
	}
	if old, ok := retained(c); ok && !c.Forced {
		// The very container is retained, stopped: start it again instead
		// of making a copy (a rollback needs no pull and no registry).
		b.prepared(old.ID, originRetained)
		return nil
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	if err := r.renameAside(octx, d, b); err != nil {
		return err
	}
	env, err := r.env(c)
	if err != nil {
		return err
	}
	if err := r.ensureNetworks(octx, d, c.Address.Host, spec.Networks()); err != nil {
		return err
	}
	ports := dockerPorts(spec.Ports)
	id, err := d.Create(octx, spec.Name, withOptions(dockerapi.CreateSpec{
		Image:       spec.Image,
		Cmd:         spec.Cmd,
		Env:         env,
		Labels:      spec.Labels,
		Ports:       ports,
		Binds:       spec.Volumes,
		Healthcheck: healthConfig(spec.Health),
		StopTimeout: spec.StopTimeout,
		StopSignal:  r.stopSignal(octx, d, b),
		Network:     spec.Network,
		Aliases:     spec.Aliases,
	}, spec.Options))
	if err != nil && uncertain(err) {
		// The reply was lost: the container may exist all the same.
		if info, ok := r.lookUp(ctx, c.Address.Host, spec.Name); ok && sameLabels(info.Labels, spec.Labels) {
			id, err = info.ID, nil
		}
	}
	if err != nil {
		return proxyConflict(c, fmt.Errorf("create %s: %w", spec.Name, err))
	}
	b.prepared(id, originCreated)
	return joinOthers(octx, d, spec, id)
}

// sameLabels reports whether a container found by name is the one a
// create asked for: every berth label equal.
func sameLabels(have, want map[string]string) bool {
	for _, k := range []string{planner.LabelService, planner.LabelRole, planner.LabelAccessory, planner.LabelVersion, planner.LabelConfig, planner.LabelProxy, planner.LabelDestination} {
		if have[k] != want[k] {
			return false
		}
	}
	return true
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
// again. A start whose reply was lost counts as possibly done: the clean-up
// stops the container if it runs.
func (r *run) start(ctx context.Context, d Docker, b *branch) error {
	if b.change.Keep != nil {
		return nil // it runs already
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	err := d.Start(octx, b.newID)
	if err == nil || uncertain(err) {
		b.new = newStarted // a lost reply counts as possibly started
	}
	if err == nil {
		return nil
	}
	if uncertain(err) && r.startSeen(ctx, b) {
		return nil
	}
	err = fmt.Errorf("start %s: %w", b.change.Desired.Name, err)
	if cerr := r.discardNew(context.WithoutCancel(ctx), d, b); cerr != nil && !uncertain(cerr) {
		err = errors.Join(err, cerr) // an uncertain one is the clean-up's to retry and report
	}
	return err
}

// startSeen goes by what the host says after a start whose connection
// dropped: a container seen running over a new connection was started;
// one that was never started (the request was lost before the daemon
// acted on it) is started again over that connection, once. One that
// started and ended is not: its health is what failed.
func (r *run) startSeen(ctx context.Context, b *branch) bool {
	ctx = context.WithoutCancel(ctx)
	info, ok := r.lookUp(ctx, b.addr().Host, b.newID)
	switch {
	case !ok:
		return false
	case info.State.Running:
		r.rep.Event(b.addr(), "the reply to start was lost; "+b.change.Desired.Name+" runs")
		return true
	case !info.State.StartedAt.IsZero() || info.State.Status != "created":
		return false
	}
	d, err := r.redial(ctx, b.addr().Host)
	if err != nil {
		return false
	}
	r.rep.Event(b.addr(), "the connection dropped before "+b.change.Desired.Name+" started; redialled, starting it again")
	octx, cancel := r.op(ctx)
	defer cancel()
	return d.Start(octx, b.newID) == nil
}

// stopOld stops the container that served until now, and every other
// container of the address that runs (Extra); they are kept (stopped) for
// a fast rollback until prune removes them. A stop whose reply was lost
// counts as possibly done.
func (r *run) stopOld(ctx context.Context, d Docker, b *branch) error {
	if c := b.change; c.Action == planner.ActionRestart && b.newID == "" {
		// berth accessory restart: the new container is the same one,
		// started again; a clean-up after the stop starts it again.
		b.prepared(c.Running.ID, originRetained)
	}
	olds := b.olds()
	if len(olds) == 0 {
		b.old = oldStopped
		return nil
	}
	octx, cancel := r.op(ctx)
	defer cancel()
	var errs []error
	for _, old := range olds {
		if err := r.stopContainer(octx, d, b, old.ID, old.Name); err != nil {
			errs = append(errs, err)
		}
	}
	b.old = oldStopping // possibly stopped, when an error left it open: the clean-up looks
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.old = oldStopped
	return r.takeOwnName(octx, d, b)
}

// health waits for the new container to turn healthy. On failure the new
// container is removed and the old one keeps, or resumes, serving.
func (r *run) health(ctx context.Context, d Docker, b *branch) error {
	err := r.waitHealthy(ctx, d, b)
	if err == nil {
		b.new = newHealthy
		return nil
	}
	if cerr := r.discardNew(context.WithoutCancel(ctx), d, b); cerr != nil && !uncertain(cerr) {
		err = errors.Join(err, cerr) // an uncertain one is the clean-up's to retry and report
	}
	return err
}

// prune removes the stopped containers of this address beyond retain.
func (r *run) prune(ctx context.Context, d Docker, b *branch) error {
	keep := r.cfg.Deploy.Retain
	var stopped []planner.Container
	for _, c := range liveContainers(b.change) {
		if c.ID == b.newID || planner.TakenOver(c) {
			continue // another tool's container is kept, whatever retain says
		}
		if b.change.Running != nil && c.ID == b.change.Running.ID {
			if !b.oldMayBeStopped() {
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

// remove stops (gracefully: stop signal, stop timeout, then a kill that is
// reported) and removes every container of an address that left the
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
		if err := r.stopContainer(octx, d, b, c.ID, c.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		if planner.TakenOver(c) {
			continue // another tool's container: stopped and kept
		}
		if err := d.Remove(octx, c.ID, false); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("remove %s: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

// liveContainers are the live containers of a change: the running ones and
// the others.
func liveContainers(c *planner.Change) []planner.Container {
	var out []planner.Container
	if c.Running != nil {
		out = append(out, *c.Running)
	}
	out = append(out, c.Extra...)
	if c.Keep != nil {
		out = append(out, *c.Keep)
	}
	return append(out, c.Others...)
}

// dockerPorts are the port bindings of a spec in the Docker client's terms.
func dockerPorts(ports []lang.Port) []dockerapi.Port {
	out := make([]dockerapi.Port, len(ports))
	for i, p := range ports {
		out[i] = dockerapi.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol}
	}
	return out
}

// healthConfig is Docker's own health check for a spec, so that the
// container's health stays visible (docker ps, berth status) after the
// deploy. A list runs without a shell ("CMD"); only a string uses one.
func healthConfig(h planner.HealthSpec) *dockerapi.HealthConfig {
	var test []string
	switch h.Kind {
	case planner.HealthCmd:
		test = append([]string{"CMD"}, h.Cmd...)
	case planner.HealthShell:
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
	// probing itself every h.Interval; Docker's check watches the container
	// afterwards, at its own steady interval, so that the check does not
	// flood the container's log.
	steady := h.SteadyInterval
	if steady <= 0 {
		steady = lang.DefaultSteadyInterval
	}
	return &dockerapi.HealthConfig{Test: test, Interval: steady, Timeout: max(h.Interval, 5*time.Second), Retries: retries, StartPeriod: h.Deadline}
}
