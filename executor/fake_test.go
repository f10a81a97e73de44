package executor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/planner"
)

// fleet is an in-memory model of several hosts' Docker daemons, enough to
// exercise the executor's ordering, barrier and clean-up without a network.
// Images behave by tag: "broken" exits at once, "unhealthy" runs but its
// check fails, "slow" passes its check only once released; anything else is
// healthy as soon as it runs.
type fleet struct {
	mu     sync.Mutex
	hosts  map[string]*fakeHost
	events []string // "h1 start shop-web-v2", in order
	mark   int      // events before it belong to earlier applies
	slow   chan struct{}
	// failStart makes Start of an image with this tag fail on a host.
	failStart map[string]string
	// ignoreTerm: containers whose name has this prefix ignore every
	// signal but SIGKILL.
	ignoreTerm string
	// lose makes the next call of an operation ("start", "stop") on a
	// host happen and then fail as if its reply was lost: "h2 stop".
	lose map[string]bool
	// drop makes the next call of an operation on a host fail as if its
	// connection dropped before the daemon acted on it: "h3 start".
	drop map[string]bool
	// unreachable makes the next n calls of Docker for a host fail;
	// cutOnLoss is the n a lost reply sets for its host (the link went).
	unreachable map[string]int
	cutOnLoss   int
	networks    map[string]bool // "h1 berth-shop": the networks made
	// routes are the routes of a host's proxy, for ReadState; called with mu held.
	routes func(host string) []planner.LiveRoute
}

type fakeHost struct {
	f          *fleet
	name       string
	containers map[string]*fakeContainer
	nextID     int
	files      map[string]dockerapi.File // copied in with CopyTo, by "CONTAINER:DIR/PATH"
	pulled     map[string]bool           // the images pulled, by reference
	inspects   map[string]int            // InspectImage requests, by reference
}

type fakeContainer struct {
	id, name, image string
	labels          map[string]string
	networks        map[string][]string // network -> the container's aliases on it
	env             []string
	stopSignal      string // as created; "" = the image's
	state           string
	exit            int
	created         time.Time
	started         time.Time
}

var (
	_ Hosts                  = (*fleet)(nil)
	_ Docker                 = (*fakeHost)(nil)
	_ planner.StateReader    = (*fleet)(nil)
	_ planner.DigestResolver = (*fleet)(nil)
)

func newFleet(hosts ...string) *fleet {
	f := &fleet{hosts: map[string]*fakeHost{}, slow: make(chan struct{}), failStart: map[string]string{}, lose: map[string]bool{}, drop: map[string]bool{}, unreachable: map[string]int{}, networks: map[string]bool{}}
	for _, h := range hosts {
		f.hosts[h] = &fakeHost{f: f, name: h, containers: map[string]*fakeContainer{}}
	}
	return f
}

func (f *fleet) Docker(_ context.Context, host string) (Docker, error) {
	f.mu.Lock()
	down := f.unreachable[host] > 0
	if down {
		f.unreachable[host]--
	}
	f.mu.Unlock()
	if down {
		return nil, fmt.Errorf("host %s: dial tcp: i/o timeout", host)
	}
	h, ok := f.hosts[host]
	if !ok || down {
		return nil, fmt.Errorf("host %s: unreachable", host)
	}
	return h, nil
}

func (f *fleet) DialContext(context.Context, string, string, string) (net.Conn, error) {
	return nil, errors.New("no network in the fake")
}

func (f *fleet) event(format string, a ...any) {
	f.events = append(f.events, fmt.Sprintf(format, a...))
}

// index returns the position of the first event with this text at or
// after from, or -1.
func (f *fleet) index(ev string, from int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := max(from, 0); i < len(f.events); i++ {
		e := f.events[i]
		if e == ev {
			return i
		}
	}
	return -1
}

func (f *fleet) has(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// running lists "name" of the running containers on a host, sorted.
func (f *fleet) running(host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.hosts[host].containers {
		if c.state == "running" {
			out = append(out, c.name)
		}
	}
	sort.Strings(out)
	return out
}

// all lists every container on a host as "name:state", sorted.
func (f *fleet) all(host string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.hosts[host].containers {
		out = append(out, c.name+":"+c.state)
	}
	sort.Strings(out)
	return out
}

// ReadState makes the fleet a planner.StateReader.
func (f *fleet) ReadState(_ context.Context, host, service string) (planner.HostState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosts[host]
	if !ok {
		return planner.HostState{}, fmt.Errorf("host %s: unreachable", host)
	}
	st := planner.HostState{Host: host}
	for _, c := range h.containers {
		if c.labels[planner.LabelService] != service && c.labels[planner.LabelProxy] != "true" {
			continue
		}
		st.Containers = append(st.Containers, planner.Container{
			ID: c.id, Name: c.name, Role: c.labels[planner.LabelRole], Accessory: c.labels[planner.LabelAccessory],
			Version: c.labels[planner.LabelVersion], ConfigHash: c.labels[planner.LabelConfig], Image: c.image,
			State: c.state, Created: c.created, StartedAt: c.started, Labels: c.labels,
		})
	}
	sort.Slice(st.Containers, func(i, j int) bool { return st.Containers[i].ID < st.Containers[j].ID })
	if f.routes != nil {
		st.Routes = f.routes(host)
	}
	return st, nil
}

// Resolve makes the fleet a planner.DigestResolver: the digest of a tag is
// derived from the tag.
func (f *fleet) Resolve(_ context.Context, ref string) (string, error) {
	return "sha256:" + fmt.Sprintf("%064x", len(ref)*7919+int(ref[len(ref)-1])), nil
}

func tagOf(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	return ref[strings.LastIndexByte(ref, ':')+1:]
}

func (h *fakeHost) find(id string) (*fakeContainer, error) {
	if h.f.unreachable[h.name] > 0 { // a dead connection
		return nil, errLost
	}
	if c, ok := h.containers[id]; ok {
		return c, nil
	}
	for _, c := range h.containers { // Docker takes names too
		if c.name == id {
			return c, nil
		}
	}
	return nil, fmt.Errorf("container %s: %w", id, dockerapi.ErrNotFound)
}

// InspectImage finds the images pulled before: an image tagged "quit"
// sets STOPSIGNAL SIGQUIT, one tagged "wrapped" also an ENTRYPOINT.
func (h *fakeHost) InspectImage(_ context.Context, ref string) (dockerapi.ImageInfo, error) {
	h.f.mu.Lock()
	if h.inspects == nil {
		h.inspects = map[string]int{}
	}
	h.inspects[ref]++
	pulled := h.pulled[ref]
	h.f.mu.Unlock()
	if !pulled {
		return dockerapi.ImageInfo{}, fmt.Errorf("image %s: %w", ref, dockerapi.ErrNotFound)
	}
	switch tagOf(ref) {
	case "quit":
		return dockerapi.ImageInfo{StopSignal: "SIGQUIT"}, nil
	case "wrapped":
		return dockerapi.ImageInfo{StopSignal: "SIGQUIT", Entrypoint: []string{"/entrypoint"}}, nil
	}
	return dockerapi.ImageInfo{}, nil
}

func (h *fakeHost) Pull(_ context.Context, ref string, _ *dockerapi.Auth) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	h.f.event("%s pull %s", h.name, tagOf(ref))
	if h.pulled == nil {
		h.pulled = map[string]bool{}
	}
	h.pulled[ref] = true
	return nil
}

func (h *fakeHost) Create(_ context.Context, name string, spec dockerapi.CreateSpec) (string, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	for _, c := range h.containers {
		if c.name == name {
			return "", &dockerapi.APIError{Status: 409, Message: "the container name " + name + " is already in use"}
		}
	}
	h.nextID++
	id := fmt.Sprintf("%s-%04d", h.name, h.nextID)
	fc := &fakeContainer{id: id, name: name, image: spec.Image, labels: spec.Labels, env: spec.Env, stopSignal: spec.StopSignal, state: "created", created: time.Now().Add(time.Duration(h.nextID) * time.Millisecond)}
	if spec.Network != "" {
		if !h.f.networks[h.name+" "+spec.Network] {
			return "", &dockerapi.APIError{Status: 404, Message: "network " + spec.Network + " not found"}
		}
		fc.networks = map[string][]string{spec.Network: spec.Aliases}
	}
	h.containers[id] = fc
	h.f.event("%s create %s", h.name, name)
	return id, nil
}

func (h *fakeHost) Start(_ context.Context, id string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, err := h.find(id)
	if err != nil {
		return err
	}
	if k := h.name + " start"; h.f.drop[k] {
		delete(h.f.drop, k)
		return errLost
	}
	if h.f.failStart[h.name] == tagOf(c.image) {
		h.f.event("%s start-failed %s", h.name, c.name)
		return errors.New("simulated failure: no space left on device")
	}
	h.f.event("%s start %s", h.name, c.name)
	c.state, c.started = "running", time.Now()
	if tagOf(c.image) == "broken" {
		c.state, c.exit = "exited", 1
	}
	if h.lost("start") {
		return errLost
	}
	return nil
}

// errLost is what a call whose reply was lost returns: not a Docker answer.
var errLost = errors.New("read: connection reset by peer")

// lost reports (once) whether op's reply is to be lost on this host.
func (h *fakeHost) lost(op string) bool {
	k := h.name + " " + op
	if h.f.lose[k] {
		delete(h.f.lose, k)
		h.f.unreachable[h.name] = h.f.cutOnLoss
		return true
	}
	return false
}

func (h *fakeHost) Kill(_ context.Context, id, signal string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, err := h.find(id)
	if err != nil {
		return err
	}
	if c.state != "running" {
		return &dockerapi.APIError{Status: 409, Message: "container " + id + " is not running"}
	}
	if signal != "SIGKILL" && h.f.ignoreTerm != "" && strings.HasPrefix(c.name, h.f.ignoreTerm) {
		h.f.event("%s ignore %s %s", h.name, signal, c.name)
		return nil
	}
	return h.end(c, signal == "SIGKILL")
}

// end ends a running container, by its signal or killed, and loses the
// reply if asked to. The caller holds the fleet's lock.
func (h *fakeHost) end(c *fakeContainer, killed bool) error {
	if c.state == "running" {
		if killed {
			h.f.event("%s kill %s", h.name, c.name)
			c.state, c.exit = "exited", 137
		} else {
			h.f.event("%s stop %s", h.name, c.name)
			c.state, c.exit = "exited", 0
		}
	}
	if h.lost("stop") {
		return errLost
	}
	return nil
}

// Wait returns at once when the container does not run, else when ctx ends
// (the fake's containers end only by Kill).
func (h *fakeHost) Wait(ctx context.Context, id, _ string) (int, error) {
	h.f.mu.Lock()
	c, err := h.find(id)
	running := err == nil && c.state == "running"
	h.f.mu.Unlock()
	if err != nil {
		return -1, err
	}
	if !running {
		return c.exit, nil
	}
	<-ctx.Done()
	return -1, ctx.Err()
}

// Stop is Docker's stop endpoint: the container's own signal, then a kill
// at the timeout (a container that ignores signals takes the whole timeout).
func (h *fakeHost) Stop(_ context.Context, id string, timeout time.Duration) error {
	h.f.mu.Lock()
	c, err := h.find(id)
	ignores := err == nil && c.state == "running" && h.f.ignoreTerm != "" && strings.HasPrefix(c.name, h.f.ignoreTerm)
	h.f.mu.Unlock()
	if err != nil {
		return err
	}
	if ignores {
		time.Sleep(timeout)
	}
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.end(c, ignores)
}

func (h *fakeHost) Remove(_ context.Context, id string, _ bool) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, err := h.find(id)
	if err != nil {
		return err
	}
	h.f.event("%s remove %s", h.name, c.name)
	delete(h.containers, id)
	return nil
}

func (h *fakeHost) Rename(_ context.Context, id, name string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, err := h.find(id)
	if err != nil {
		return err
	}
	h.f.event("%s rename %s %s", h.name, c.name, name)
	c.name = name
	return nil
}

func (h *fakeHost) Inspect(_ context.Context, id string) (dockerapi.ContainerInfo, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, err := h.find(id)
	if err != nil {
		return dockerapi.ContainerInfo{}, err
	}
	var info dockerapi.ContainerInfo
	info.ID, info.Name, info.Image, info.Labels = c.id, c.name, c.image, c.labels
	info.State.Status, info.State.Running, info.State.ExitCode, info.State.StartedAt = c.state, c.state == "running", c.exit, c.started
	return info, nil
}

func (h *fakeHost) Exec(ctx context.Context, id string, _ []string) (int, []byte, error) {
	h.f.mu.Lock()
	c, err := h.find(id)
	h.f.mu.Unlock()
	if err != nil {
		return -1, nil, err
	}
	switch tagOf(c.image) {
	case "unhealthy":
		return 1, []byte("check: /up answered 503"), nil
	case "slow":
		select {
		case <-h.f.slow:
		default:
			return 1, []byte("check: connection refused"), nil
		}
	}
	h.f.mu.Lock()
	h.f.event("%s healthy %s", h.name, c.name)
	h.f.mu.Unlock()
	return 0, []byte("ok"), nil
}

func (h *fakeHost) Logs(_ context.Context, id string, _ int) ([]byte, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, err := h.find(id)
	if err != nil {
		return nil, err
	}
	if tagOf(c.image) == "broken" {
		return []byte("fatal: cannot open database\n"), nil
	}
	return []byte("listening on :8080\n"), nil
}

var _ networker = (*fakeHost)(nil)

func (h *fakeHost) EnsureNetwork(_ context.Context, name string, _ map[string]string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if !h.f.networks[h.name+" "+name] {
		h.f.networks[h.name+" "+name] = true
		h.f.event("%s network create %s", h.name, name)
	}
	return nil
}

func (h *fakeHost) ConnectNetwork(_ context.Context, network, id string, aliases []string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c := h.containers[id]
	switch {
	case c == nil:
		return &dockerapi.APIError{Status: 404, Message: "no such container: " + id}
	case !h.f.networks[h.name+" "+network]:
		return &dockerapi.APIError{Status: 404, Message: "network " + network + " not found"}
	}
	if c.networks == nil {
		c.networks = map[string][]string{}
	}
	c.networks[network] = aliases
	return nil
}

func (h *fakeHost) CopyTo(_ context.Context, id, dir string, files []dockerapi.File) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if _, err := h.find(id); err != nil {
		return err
	}
	if h.files == nil {
		h.files = map[string]dockerapi.File{}
	}
	for _, f := range files {
		h.files[id+":"+dir+"/"+f.Path] = f
	}
	return nil
}
