package live

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/berth-sh/berth/executor/roster"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/planner"
)

// Reader reads hosts' live state through a pool of SSH connections.
type Reader struct {
	pool      *sshx.Pool
	newClient func(*sshx.Conn) *dockerapi.Client

	mu      sync.Mutex
	clients map[string]cached
	rosters roster.Cache // one parse per distinct roster, one follow per distinct stub
	seen    map[string]seenRoster
	kamal   *Kamal // the Kamal app a takeover reads; nil = none
}

// seenRoster is the roster a host had when it was last read.
type seenRoster struct {
	service string
	roster  roster.Seen
}

type cached struct {
	conn   *sshx.Conn
	client *dockerapi.Client
}

var _ planner.StateReader = (*Reader)(nil)

// NewReader returns a reader. newClient builds the Docker client of a
// connection; nil means dockerapi.New with the host's name in errors.
func NewReader(pool *sshx.Pool, newClient func(*sshx.Conn) *dockerapi.Client) *Reader {
	if newClient == nil {
		newClient = func(c *sshx.Conn) *dockerapi.Client { return dockerapi.New(c, dockerapi.WithHost(c.Host())) }
	}
	r := &Reader{pool: pool, newClient: newClient, clients: map[string]cached{}}
	r.rosters.Keeper = r.keeper
	return r
}

// keeper returns the connection to a host that keeps a whole roster, one
// of the configuration or one that left it.
func (r *Reader) keeper(ctx context.Context, h planner.RosterHost) (roster.Runner, error) {
	if err := r.AddHost(h); err != nil {
		return nil, err
	}
	return r.pool.Conn(ctx, h.Name)
}

// Client returns the Docker client of host, shared by every caller. After
// the connection died and was dialled again, a fresh client is made for it.
func (r *Reader) Client(ctx context.Context, host string) (*dockerapi.Client, error) {
	conn, err := r.pool.Conn(ctx, host)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[host]; ok && c.conn == conn {
		return c.client, nil
	}
	if old, ok := r.clients[host]; ok {
		old.client.Close()
	}
	c := r.newClient(conn)
	r.clients[host] = cached{conn: conn, client: c}
	return c, nil
}

// Release closes the Docker client and the SSH connection of host: a
// command that only reads is done with a host once it is read.
func (r *Reader) Release(host string) {
	r.mu.Lock()
	c, ok := r.clients[host]
	delete(r.clients, host)
	r.mu.Unlock()
	if ok {
		c.client.Close()
	}
	r.pool.Release(host)
}

// ReadState lists the containers of service on host, running or not, and
// the host's proxy containers with their routes. Containers without the
// label berth.service=service are never returned, but for the proxy.
// Containers are ordered newest first, then by name.
//
// The service's roster on the host is read at the same time, through one
// more command on the same SSH connection.
func (r *Reader) ReadState(ctx context.Context, host, service string) (planner.HostState, error) {
	c, err := r.Client(ctx, host)
	if err != nil {
		return planner.HostState{}, err
	}
	var (
		seen    roster.Seen
		rostErr error
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		conn, err := r.pool.Conn(ctx, host)
		if err == nil {
			seen, err = r.rosters.Read(ctx, conn, service)
		}
		if err != nil {
			rostErr = fmt.Errorf("host %s: %w", host, err)
		}
	})
	var (
		kamal       []planner.Container
		kamalRoutes []planner.LiveRoute
		kamalErr    error
	)
	r.mu.Lock()
	k := r.kamal
	r.mu.Unlock()
	list, proxies, routes, err := readLists(ctx, c, host)
	if err == nil && k != nil {
		// Kamal's containers and proxy are in the same listing.
		kamal, kamalRoutes, kamalErr = readKamal(ctx, c, host, *k, list)
	}
	wg.Wait()
	if err = errors.Join(err, rostErr, kamalErr); err != nil {
		return planner.HostState{}, err
	}
	st := FromSummaries(host, service, list)
	if len(kamal) > 0 {
		st.Containers = append(st.Containers, kamal...)
		newestFirst(st.Containers)
	}
	st.Containers = mergeProxies(st.Containers, proxies)
	if !runningProxy(proxies) && kamalRoutes != nil {
		routes = kamalRoutes // Kamal's proxy serves the host: its routes are the host's
	}
	st.Roster, st.Routes = seen.Hosts, routes
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]seenRoster{}
	}
	r.seen[host] = seenRoster{service: service, roster: seen}
	r.mu.Unlock()
	return st, nil
}

// readLists lists, in one request, every container on host and returns
// them with the host's proxy containers and the routes of the running
// proxy. The service's containers are those labelled berth.service=NAME,
// whatever else they carry (one started by hand with that label only is
// the service's too: the plan must see it); the proxy belongs to no
// service. Docker ANDs label filters, so no filter selects both: the
// whole listing, picked here, is one round trip instead of two, and on a
// fleet of 10,000 hosts 10,000 requests less for both ends to encrypt and
// answer. The other containers' entries cost less than the round trip.
func readLists(ctx context.Context, c *dockerapi.Client, host string) ([]dockerapi.ContainerSummary, []planner.Container, []planner.LiveRoute, error) {
	list, err := c.List(ctx, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	proxies, routes, err := readProxy(ctx, c, host, list)
	return list, proxies, routes, err
}

// Roster is the service's roster as host had it when this reader last read
// it; ok is false when it has not read it.
func (r *Reader) Roster(host, service string) (seen roster.Seen, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.seen[host]
	if !ok || s.service != service {
		return roster.Seen{}, false
	}
	return s.roster, true
}

var _ planner.HostAdder = (*Reader)(nil)

// AddHost makes a host from a roster reachable (planner.HostAdder).
func (r *Reader) AddHost(h planner.RosterHost) error {
	return r.pool.AddHost(sshx.Host{Name: h.Name, Address: h.Address, User: h.User, Port: h.Port})
}

// FromSummaries maps a container listing to a host state, dropping every
// container not labelled berth.service=service. service is a state name
// (planner.SplitStateName): a container of another destination is dropped
// too.
func FromSummaries(host, service string, list []dockerapi.ContainerSummary) planner.HostState {
	hs := planner.HostState{Host: host, Containers: []planner.Container{}}
	service, dest := planner.SplitStateName(service)
	for _, s := range list {
		if s.Labels[planner.LabelService] != service || s.Labels[planner.LabelDestination] != dest {
			continue
		}
		hs.Containers = append(hs.Containers, container(s))
	}
	newestFirst(hs.Containers)
	return hs
}

func container(s dockerapi.ContainerSummary) planner.Container {
	return planner.Container{
		ID:         s.ID,
		Name:       s.Name,
		Role:       s.Labels[planner.LabelRole],
		Accessory:  s.Labels[planner.LabelAccessory],
		Version:    s.Labels[planner.LabelVersion],
		ConfigHash: s.Labels[planner.LabelConfig],
		Image:      s.Image,
		ImageID:    s.ImageID,
		State:      s.State,
		Health:     s.Health,
		Created:    s.Created,
		Labels:     s.Labels,
	}
}

func newestFirst(cs []planner.Container) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.After(b.Created)
		}
		return a.Name < b.Name
	})
}

func runningProxy(cs []planner.Container) bool {
	for _, c := range cs {
		if c.Running() {
			return true
		}
	}
	return false
}
