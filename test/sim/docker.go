package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIVersion is the Engine API version the simulated daemons speak unless
// Docker.SetAPIVersion says otherwise.
const APIVersion = "1.41"

// Container is a simulated container.
type Container struct {
	ID          string
	Name        string
	Image       string // the reference it was created from
	ImageID     string
	Cmd         []string
	Env         []string
	Labels      map[string]string
	HostPorts   []string // published host ports, "8080/tcp"
	Healthcheck []string
	Volumes     []string // named volumes mounted, from "name:/path" binds
	Tty         bool
	OpenStdin   bool
	Running     bool
	ExitCode    int
	Created     time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	IP          string

	output   []byte        // a finished program's output, for its logs
	attached chan struct{} // with a client attached: closed when it starts
}

// Docker is the in-memory state of one host's daemon. It is safe for
// concurrent use.
type Docker struct {
	mu         sync.Mutex
	seq        int
	containers map[string]*Container // by ID
	images     map[string]string     // normalised ref -> image ID
	execs      map[string]execInstance
	volumes    map[string]bool // named volumes, made by the first container mounting one
	version    string          // "" = APIVersion
	requests   int64
	unknown    []string               // requests the model does not simulate, "GET /path"
	networks   map[string]bool        // by name (see networks.go)
	routes     map[string]*proxyRoute // the kamal-proxy routes (see kamalproxy.go)
	files      map[string]int64       // files copied into containers: path -> mode (see archive.go)
	buildCache map[string]bool        // cache keys of built steps (see build.go)
	// loopback reaches 127.0.0.1:PORT as the daemon would (forwards.go):
	// from a local daemon directly, else through the client's forward.
	loopback func(local bool, port uint32) *http.Client
	registry *Registry // where pushes go (see push.go); nil = none
}

func newDocker() *Docker {
	return &Docker{containers: map[string]*Container{}, images: map[string]string{}, execs: map[string]execInstance{},
		volumes: map[string]bool{}}
}

// Containers returns a copy of every container, oldest first.
func (d *Docker) Containers() []Container {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Container, 0, len(d.containers))
	for _, c := range d.containers {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SetAPIVersion makes the daemon say it speaks Engine API v from now on
// (only the Api-Version header changes, not what it answers).
func (d *Docker) SetAPIVersion(v string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.version = v
}

// Requests is how many API requests the daemon answered.
func (d *Docker) Requests() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.requests
}

// AddImage makes image ref present, as if pulled.
func (d *Docker) AddImage(ref string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addImageLocked(ref)
}

func (d *Docker) addImageLocked(ref string) string {
	key := normRef(ref)
	if id, ok := d.images[key]; ok {
		return id
	}
	id := "sha256:" + hash(key)
	d.images[key] = id
	return id
}

// normRef reduces an image reference to how the daemon finds it: by digest
// when it has one, else repo:tag ("latest" by default).
func normRef(ref string) string {
	repo, digest, hasDigest := strings.Cut(ref, "@")
	slash := strings.LastIndex(repo, "/")
	tag := "latest"
	if i := strings.LastIndex(repo, ":"); i > slash {
		repo, tag = repo[:i], repo[i+1:]
	}
	if hasDigest {
		return repo + "@" + digest
	}
	return repo + ":" + tag
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ServeHTTP answers one Engine API request.
func (d *Docker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	version := APIVersion
	if d.version != "" {
		version = d.version
	}
	w.Header().Set("Api-Version", version)
	path := r.URL.Path
	if strings.HasPrefix(path, "/v1.") {
		if i := strings.Index(path[1:], "/"); i >= 0 {
			path = path[i+1:]
		}
	}
	d.requests++
	q := r.URL.Query()
	switch {
	case path == "/_ping":
		_, _ = w.Write([]byte("OK"))
	case path == "/containers/json" && r.Method == http.MethodGet:
		d.list(w, q)
	case path == "/containers/create" && r.Method == http.MethodPost:
		d.create(w, r, q.Get("name"))
	case strings.HasPrefix(path, "/containers/"):
		rest := strings.TrimPrefix(path, "/containers/")
		id, op, _ := strings.Cut(rest, "/")
		d.container(w, r, id, op, q)
	case strings.HasPrefix(path, "/exec/"):
		id, op, _ := strings.Cut(strings.TrimPrefix(path, "/exec/"), "/")
		d.exec(w, r, id, op)
	case path == "/images/create" && r.Method == http.MethodPost:
		d.pull(w, r, q.Get("fromImage"), q.Get("tag"))
	case path == "/images/json" && r.Method == http.MethodGet:
		d.listImages(w)
	case strings.HasPrefix(path, "/images/") && strings.HasSuffix(path, "/push") && r.Method == http.MethodPost:
		d.push(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/images/"), "/push"), q.Get("tag"))
	case strings.HasPrefix(path, "/images/"):
		d.image(w, r, strings.TrimPrefix(path, "/images/"))
	case strings.HasPrefix(path, "/networks/"):
		d.network(w, r, strings.TrimPrefix(path, "/networks"))
	case strings.HasPrefix(path, "/volumes/") && r.Method == http.MethodDelete:
		d.removeVolume(w, strings.TrimPrefix(path, "/volumes/"))
	default:
		d.notSimulated(w, r)
	}
}

// notSimulated answers a request the model does not know, and records it:
// a bench against a model that does not answer what berth asks measures
// nothing.
func (d *Docker) notSimulated(w http.ResponseWriter, r *http.Request) {
	d.unknown = append(d.unknown, r.Method+" "+r.URL.Path)
	apiError(w, http.StatusNotFound, "page not found")
}

// NotSimulated returns the requests the model could not answer.
func (d *Docker) NotSimulated() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.unknown...)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (d *Docker) list(w http.ResponseWriter, q url.Values) {
	var filters map[string][]string
	if f := q.Get("filters"); f != "" {
		if err := json.Unmarshal([]byte(f), &filters); err != nil {
			apiError(w, http.StatusBadRequest, "invalid filters: "+err.Error())
			return
		}
	}
	all := q.Get("all") == "1" || q.Get("all") == "true"
	out := []map[string]any{}
	for _, c := range d.sorted() {
		if !all && !c.Running {
			continue
		}
		if !matchLabels(c.Labels, filters["label"]) {
			continue
		}
		state, status := "exited", fmt.Sprintf("Exited (%d) 1 second ago", c.ExitCode)
		if c.Running {
			state, status = "running", "Up 1 second"
			if len(c.Healthcheck) > 0 {
				status += " (" + c.health() + ")"
			}
		} else if c.StartedAt.IsZero() {
			state, status = "created", "Created"
		}
		out = append(out, map[string]any{
			"Id": c.ID, "Names": []string{"/" + c.Name}, "Image": c.Image, "ImageID": c.ImageID,
			"Labels": c.Labels, "State": state, "Status": status, "Created": c.Created.Unix(),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *Docker) sorted() []*Container {
	out := make([]*Container, 0, len(d.containers))
	for _, c := range d.containers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID }) // newest first
	return out
}

func matchLabels(labels map[string]string, want []string) bool {
	for _, f := range want {
		k, v, hasValue := strings.Cut(f, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}

type createBody struct {
	Image       string            `json:"Image"`
	Cmd         []string          `json:"Cmd"`
	Env         []string          `json:"Env"`
	Labels      map[string]string `json:"Labels"`
	Healthcheck *struct {
		Test []string `json:"Test"`
	} `json:"Healthcheck"`
	Tty        bool `json:"Tty"`
	OpenStdin  bool `json:"OpenStdin"`
	HostConfig struct {
		Binds        []string `json:"Binds"`
		PortBindings map[string][]struct {
			HostPort string `json:"HostPort"`
		} `json:"PortBindings"`
	} `json:"HostConfig"`
}

func (d *Docker) create(w http.ResponseWriter, r *http.Request, name string) {
	var b createBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		apiError(w, http.StatusBadRequest, "invalid create body: "+err.Error())
		return
	}
	if name != "" && d.find(name) != nil {
		apiError(w, http.StatusConflict, fmt.Sprintf("Conflict. The container name %q is already in use.", "/"+name))
		return
	}
	imageID, ok := d.images[normRef(b.Image)]
	if !ok {
		apiError(w, http.StatusNotFound, "No such image: "+b.Image)
		return
	}
	d.seq++
	id := fmt.Sprintf("%08d", d.seq) + hash(name + strconv.Itoa(d.seq))[:56]
	if name == "" {
		name = "c" + id[:12]
	}
	c := &Container{ID: id, Name: name, Image: b.Image, ImageID: imageID, Cmd: b.Cmd, Env: b.Env,
		Labels: b.Labels, Created: time.Now().UTC(), IP: fmt.Sprintf("172.17.%d.%d", d.seq/250%250, 2+d.seq%250),
		Tty: b.Tty, OpenStdin: b.OpenStdin}
	for _, bind := range b.HostConfig.Binds {
		if src, _, _ := strings.Cut(bind, ":"); src != "" && !strings.HasPrefix(src, "/") {
			c.Volumes = append(c.Volumes, src)
			d.volumes[src] = true
		}
	}
	if b.Healthcheck != nil && len(b.Healthcheck.Test) > 0 && b.Healthcheck.Test[0] != "NONE" {
		c.Healthcheck = b.Healthcheck.Test
	}
	for _, binds := range b.HostConfig.PortBindings {
		for _, p := range binds {
			c.HostPorts = append(c.HostPorts, p.HostPort)
		}
	}
	d.containers[id] = c
	writeJSON(w, http.StatusCreated, map[string]any{"Id": id, "Warnings": []string{}})
}

// find looks a container up by ID, unique ID prefix or name.
func (d *Docker) find(ref string) *Container {
	if c, ok := d.containers[ref]; ok {
		return c
	}
	ref = strings.TrimPrefix(ref, "/")
	var byPrefix *Container
	for _, c := range d.containers {
		if c.Name == ref {
			return c
		}
		if len(ref) >= 4 && strings.HasPrefix(c.ID, ref) {
			byPrefix = c
		}
	}
	return byPrefix
}

func (d *Docker) container(w http.ResponseWriter, r *http.Request, ref, op string, q url.Values) {
	c := d.find(ref)
	if c == nil {
		apiError(w, http.StatusNotFound, "No such container: "+ref)
		return
	}
	switch {
	case op == "json" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, d.inspect(c))
	case op == "archive" && r.Method == http.MethodPut:
		d.upload(w, r, q)
	case op == "start" && r.Method == http.MethodPost:
		if c.Running {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		for _, p := range c.HostPorts {
			for _, o := range d.containers {
				if o != c && o.Running && contains(o.HostPorts, p) {
					apiError(w, http.StatusInternalServerError, "driver failed programming external connectivity on endpoint "+c.Name+": Bind for 0.0.0.0:"+p+" failed: port is already allocated")
					return
				}
			}
		}
		c.Running, c.StartedAt, c.FinishedAt = true, time.Now().UTC(), time.Time{}
		switch {
		case tagOf(c.Image) == TagBroken:
			// A build that exits at once, for the barrier's tests.
			c.Running, c.ExitCode, c.FinishedAt = false, 1, time.Now().UTC()
		case daemon(c.Cmd):
		case c.attached != nil:
			close(c.attached) // the attached client's connection runs it
			c.attached = nil
		default:
			d.finishLocked(c, run(c.Image, c.Cmd, c.Env, nil))
		}
		w.WriteHeader(http.StatusNoContent)
	case op == "stop" && r.Method == http.MethodPost:
		if !c.Running {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		c.Running, c.ExitCode, c.FinishedAt = false, 0, time.Now().UTC()
		w.WriteHeader(http.StatusNoContent)
	case op == "kill" && r.Method == http.MethodPost:
		if !c.Running {
			apiError(w, http.StatusConflict, "Container "+c.ID+" is not running")
			return
		}
		code := 0
		if q.Get("signal") == "SIGKILL" || q.Get("signal") == "KILL" || q.Get("signal") == "" {
			code = 137
		}
		c.Running, c.ExitCode, c.FinishedAt = false, code, time.Now().UTC()
		w.WriteHeader(http.StatusNoContent)
	case op == "wait" && r.Method == http.MethodPost:
		if c.Running {
			// The simulated containers end only when asked to.
			d.notSimulated(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"StatusCode": c.ExitCode})
	case op == "rename" && r.Method == http.MethodPost:
		name := q.Get("name")
		if o := d.find(name); o != nil && o != c {
			apiError(w, http.StatusConflict, fmt.Sprintf("Conflict. The container name %q is already in use.", "/"+name))
			return
		}
		c.Name = name
		w.WriteHeader(http.StatusNoContent)
	case op == "" && r.Method == http.MethodDelete:
		if c.Running && q.Get("force") != "1" && q.Get("force") != "true" {
			apiError(w, http.StatusConflict, "You cannot remove a running container "+c.ID+". Stop the container before attempting removal or force remove")
			return
		}
		delete(d.containers, c.ID)
		w.WriteHeader(http.StatusNoContent)
	case op == "exec" && r.Method == http.MethodPost:
		if !c.Running {
			apiError(w, http.StatusConflict, "Container "+c.ID+" is not running")
			return
		}
		var body struct {
			Cmd []string `json:"Cmd"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			apiError(w, http.StatusBadRequest, "invalid exec body: "+err.Error())
			return
		}
		d.seq++
		id := hash("exec" + strconv.Itoa(d.seq))
		d.execs[id] = execInstance{container: c.ID, cmd: body.Cmd}
		writeJSON(w, http.StatusCreated, map[string]string{"Id": id})
	case op == "logs" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
		if c.output != nil {
			_, _ = w.Write(c.output)
			return
		}
		_, _ = w.Write(frame(1, "sim: "+c.Name+" log line\n"))
	default:
		d.notSimulated(w, r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *Docker) inspect(c *Container) map[string]any {
	status := "exited"
	switch {
	case c.Running:
		status = "running"
	case c.StartedAt.IsZero():
		status = "created"
	}
	state := map[string]any{
		"Status": status, "Running": c.Running, "ExitCode": c.ExitCode, "Error": "",
		"StartedAt": timeString(c.StartedAt), "FinishedAt": timeString(c.FinishedAt),
	}
	config := map[string]any{"Image": c.Image, "Labels": c.Labels, "Cmd": c.Cmd}
	if len(c.Healthcheck) > 0 {
		config["Healthcheck"] = map[string]any{"Test": c.Healthcheck}
		state["Health"] = map[string]any{"Status": c.health(), "FailingStreak": 0, "Log": []any{}}
	}
	mounts := []map[string]string{}
	for _, v := range c.Volumes {
		mounts = append(mounts, map[string]string{"Type": "volume", "Name": v, "Source": "/var/lib/docker/volumes/" + v + "/_data"})
	}
	return map[string]any{
		"Id": c.ID, "Name": "/" + c.Name, "Image": c.ImageID, "RestartCount": 0,
		"State": state, "Config": config, "Mounts": mounts,
		"NetworkSettings": map[string]any{"IPAddress": c.IP, "Networks": map[string]any{"bridge": map[string]string{"IPAddress": c.IP}}},
	}
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.Format(time.RFC3339Nano)
}

// execInstance is an exec made in a container and not yet inspected.
type execInstance struct {
	container string
	cmd       []string
	code      int
}

func (d *Docker) exec(w http.ResponseWriter, r *http.Request, id, op string) {
	x, ok := d.execs[id]
	if !ok {
		apiError(w, http.StatusNotFound, "No such exec instance: "+id)
		return
	}
	c := d.containers[x.container]
	switch op {
	case "start":
		res := result{stderr: "container is not running\n", code: 1}
		switch {
		case c != nil && c.Running && len(x.cmd) > 0 && x.cmd[0] == "kamal-proxy":
			res = d.kamalProxy(x.cmd)
		case c != nil && c.Running:
			res = run(c.Image, x.cmd, c.Env, nil)
		}
		x.code = res.code
		d.execs[id] = x
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
		_, _ = w.Write(frames(res, false))
	case "json":
		delete(d.execs, id)
		writeJSON(w, http.StatusOK, map[string]any{"ID": id, "Running": false, "ExitCode": x.code})
	default:
		d.notSimulated(w, r)
	}
}

// health is the HEALTHCHECK status of a container that has one.
func (c *Container) health() string {
	if !c.Running || tagOf(c.Image) == TagHang {
		return "starting"
	}
	return "healthy"
}

// finishLocked ends c's program with res. The caller holds d.mu.
func (d *Docker) finishLocked(c *Container, res result) {
	c.Running, c.ExitCode, c.FinishedAt = false, res.code, time.Now().UTC()
	c.output = frames(res, false)
}

// frames is a program's output as a multiplexed stream (stdout, then
// stderr), or as it is with a terminal.
func frames(res result, tty bool) []byte {
	if tty {
		return []byte(res.stdout + res.stderr)
	}
	var b []byte
	if res.stdout != "" {
		b = append(b, frame(1, res.stdout)...)
	}
	if res.stderr != "" {
		b = append(b, frame(2, res.stderr)...)
	}
	return b
}

// attach registers a client attached to the streams of container ref
// before it starts: started is closed when it does. ok is false when there
// is no such container or it has started already.
func (d *Docker) attach(ref string) (c Container, started <-chan struct{}, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.requests++
	p := d.find(ref)
	if p == nil || !p.StartedAt.IsZero() || daemon(p.Cmd) {
		return Container{}, nil, false
	}
	if p.attached == nil {
		p.attached = make(chan struct{})
	}
	return *p, p.attached, true
}

// finish ends the program of the attached container id with res.
func (d *Docker) finish(id string, res result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.containers[id]; c != nil {
		d.finishLocked(c, res)
	}
}

func (d *Docker) removeVolume(w http.ResponseWriter, name string) {
	if !d.volumes[name] {
		apiError(w, http.StatusNotFound, "get "+name+": no such volume")
		return
	}
	for _, c := range d.containers {
		if contains(c.Volumes, name) {
			apiError(w, http.StatusConflict, "remove "+name+": volume is in use - ["+c.ID+"]")
			return
		}
	}
	delete(d.volumes, name)
	w.WriteHeader(http.StatusNoContent)
}

// Volumes returns the names of the named volumes on the host, sorted.
func (d *Docker) Volumes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.volumes))
	for v := range d.volumes {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// frame is one block of a multiplexed stream.
func frame(stream byte, s string) []byte {
	b := make([]byte, 8+len(s))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(s)))
	copy(b[8:], s)
	return b
}

func (d *Docker) pull(w http.ResponseWriter, r *http.Request, repo, tag string) {
	if repo == "" {
		apiError(w, http.StatusBadRequest, "fromImage is required")
		return
	}
	ref := repo + ":" + tag
	if strings.HasPrefix(tag, "sha256:") {
		ref = repo + "@" + tag
	} else if tag == "" {
		ref, tag = repo+":latest", "latest"
	}
	if err := d.pullLoopback(r, repo, tag); err != nil {
		apiError(w, http.StatusNotFound, err.Error())
		return
	}
	d.addImageLocked(ref)
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	_ = enc.Encode(map[string]string{"status": "Pulling from " + repo, "id": tag})
	_ = enc.Encode(map[string]string{"status": "Status: Downloaded newer image for " + ref})
}

func (d *Docker) image(w http.ResponseWriter, r *http.Request, rest string) {
	ref, isInspect := strings.CutSuffix(rest, "/json")
	id, ok := d.images[normRef(ref)]
	switch {
	case !ok:
		apiError(w, http.StatusNotFound, "No such image: "+ref)
	case isInspect && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"Id": id, "RepoTags": []string{}, "RepoDigests": []string{}})
	case !isInspect && r.Method == http.MethodDelete:
		for _, c := range d.containers {
			if c.ImageID == id {
				apiError(w, http.StatusConflict, "conflict: unable to remove repository reference \""+ref+"\" - container "+c.ID[:12]+" is using its referenced image")
				return
			}
		}
		delete(d.images, normRef(ref))
		writeJSON(w, http.StatusOK, []map[string]string{{"Untagged": ref}})
	default:
		d.notSimulated(w, r)
	}
}

// listImages answers GET /images/json: one entry per image ID with the
// tags and digests it is known by.
func (d *Docker) listImages(w http.ResponseWriter) {
	byID := map[string]map[string]any{}
	var ids []string
	for ref, id := range d.images {
		e, ok := byID[id]
		if !ok {
			e = map[string]any{"Id": id, "RepoTags": []string{}, "RepoDigests": []string{}, "Created": 1767225600, "Size": 4 << 20}
			byID[id] = e
			ids = append(ids, id)
		}
		if strings.Contains(ref, "@") {
			e["RepoDigests"] = append(e["RepoDigests"].([]string), ref)
		} else {
			e["RepoTags"] = append(e["RepoTags"].([]string), ref)
		}
	}
	sort.Strings(ids)
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, byID[id])
	}
	writeJSON(w, http.StatusOK, out)
}
