package executor

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berth-sh/berth/planner"
)

// ErrNoNetworks is returned when a host's Docker cannot create networks.
var ErrNoNetworks = errors.New("this Docker connection cannot create networks")

// networker is what a create needs beyond Docker: the networks its
// container joins (the service's, and the proxy's for a proxied role).
type networker interface {
	EnsureNetwork(ctx context.Context, name string, labels map[string]string) error
	ConnectNetwork(ctx context.Context, network, id string, aliases []string) error
}

// networks remembers the networks an apply made sure of. It serialises
// their creation on each host: Docker lets two concurrent creates make two
// networks of one name, which no container can join by name afterwards.
type networks struct {
	mu    sync.Mutex
	hosts map[string]*hostNetworks
}

type hostNetworks struct {
	mu   sync.Mutex
	done map[string]bool
}

// ensureNetworks creates each of names on host unless it exists. The
// proxy's network is labelled berth.proxy (every service shares it), a
// service's network with the service.
func (r *run) ensureNetworks(ctx context.Context, d Docker, host string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	n, ok := d.(networker)
	if !ok {
		return fmt.Errorf("network %s: %w", names[0], ErrNoNetworks)
	}
	r.nets.mu.Lock()
	if r.nets.hosts == nil {
		r.nets.hosts = map[string]*hostNetworks{}
	}
	h := r.nets.hosts[host]
	if h == nil {
		h = &hostNetworks{done: map[string]bool{}}
		r.nets.hosts[host] = h
	}
	r.nets.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, name := range names {
		if h.done[name] {
			continue
		}
		labels := map[string]string{planner.LabelService: r.cfg.Service.Name}
		if name == planner.ProxyNetwork {
			labels = map[string]string{planner.LabelProxy: "true"}
		}
		if err := n.EnsureNetwork(ctx, name, labels); err != nil {
			return err
		}
		h.done[name] = true
	}
	return nil
}

// joinOthers connects a created container to the networks it joins beyond
// the one it was created on (a proxied role: the proxy's).
func joinOthers(ctx context.Context, d Docker, spec *planner.ContainerSpec, id string) error {
	nets := spec.Networks()
	if len(nets) < 2 {
		return nil
	}
	n, ok := d.(networker)
	if !ok {
		return fmt.Errorf("network %s: %w", nets[1], ErrNoNetworks)
	}
	for _, name := range nets[1:] {
		if err := n.ConnectNetwork(ctx, name, id, nil); err != nil {
			return fmt.Errorf("join %s to network %s: %w", spec.Name, name, err)
		}
	}
	return nil
}
