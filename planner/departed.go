package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/berth-sh/berth/internal/fanout"
	"github.com/berth-sh/berth/lang"
)

// Departed are the hosts that the rosters of states name and cfg no longer
// declares, for status and the like (see departedHosts).
func Departed(cfg *lang.Config, states []HostState) []RosterHost {
	byName := make(map[string]HostState, len(states))
	var order []string
	for _, st := range states {
		byName[st.Host] = st
		order = append(order, st.Host)
	}
	return departedHosts(cfg, order, byName)
}

// departedHosts are the hosts that the rosters of the hosts just read name
// and the configuration no longer declares (by name or by address and SSH
// port: a host renamed in the configuration is the same machine, hosts
// behind one address on different ports are not), first mention first.
func departedHosts(cfg *lang.Config, order []string, states map[string]HostState) []RosterHost {
	declared := map[string]bool{}
	ports := map[string][]int{} // by address; 0 = not known
	for _, h := range cfg.Hosts {
		port := h.Port
		if port == 0 {
			port = cfg.SSH.Port
		}
		declared[h.Name] = true
		ports[h.Address] = append(ports[h.Address], port)
	}
	sameMachine := func(rh RosterHost) bool {
		return slices.ContainsFunc(ports[rh.Address], func(p int) bool { return p == 0 || rh.Port == 0 || p == rh.Port })
	}
	var out []RosterHost
	type shared struct {
		first *RosterHost
		n     int
	}
	seen := map[shared]bool{} // a roster read once is shared by the hosts that keep it
	for _, name := range order {
		list := states[name].Roster
		if len(list) == 0 || seen[shared{&list[0], len(list)}] {
			continue
		}
		seen[shared{&list[0], len(list)}] = true
		for _, rh := range list {
			if rh.Name == "" || rh.Address == "" || declared[rh.Name] || sameMachine(rh) {
				continue
			}
			if !slices.ContainsFunc(out, func(o RosterHost) bool { return o.Name == rh.Name }) {
				out = append(out, rh)
			}
		}
	}
	return out
}

// departedToRead leaves out the departed hosts that --exclude names, and
// those that --target leaves out when it names only hosts.
func departedToRead(cfg *lang.Config, departed []RosterHost, opts Options) []RosterHost {
	onlyHosts := len(opts.Targets) > 0
	for _, t := range opts.Targets {
		if cfg.Host(t) == nil && !slices.ContainsFunc(departed, func(d RosterHost) bool { return d.Name == t }) {
			onlyHosts = false
		}
	}
	var out []RosterHost
	for _, d := range departed {
		if slices.Contains(opts.Excludes, d.Name) || (onlyHosts && !slices.Contains(opts.Targets, d.Name)) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// DepartedError is a host that left the configuration, is still in the
// service's roster and cannot be read.
type DepartedError struct {
	Host RosterHost
	Err  error
}

func (e *DepartedError) Error() string {
	return fmt.Sprintf("host %s (%s) left the configuration but still runs the service as far as its roster says, and cannot be read: %v; "+
		"bring it back so that its containers can be removed, or plan with --exclude %s", e.Host.Name, e.Host.Address, e.Err, e.Host.Name)
}

func (e *DepartedError) Unwrap() error { return e.Err }

// readDeparted reads the departed hosts, telling the reader how to reach
// them first.
func readDeparted(ctx context.Context, r StateReader, cfg *lang.Config, hosts []RosterHost, parallel int) (map[string]HostState, error) {
	if len(hosts) == 0 {
		return nil, nil
	}
	if parallel <= 0 {
		parallel = readParallelism(len(hosts))
	}
	out := make(map[string]HostState, len(hosts))
	var mu sync.Mutex
	adder, _ := r.(HostAdder)
	errs := fanout.Each(ctx, len(hosts), parallel, func(ctx context.Context, i int) error {
		h := hosts[i]
		if adder != nil {
			if err := adder.AddHost(h); err != nil {
				return &DepartedError{Host: h, Err: err}
			}
		}
		st, err := r.ReadState(ctx, h.Name, cfg.StateName())
		if err != nil {
			return &DepartedError{Host: h, Err: err}
		}
		st.Host = h.Name
		st.Containers = onlyService(st.Containers, cfg.Service.Name)
		mu.Lock()
		out[h.Name] = st
		mu.Unlock()
		return nil
	})
	return out, errors.Join(errs...)
}
