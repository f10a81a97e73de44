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

// APIVersion is the Engine API version the simulated daemons speak.
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
	Running     bool
	ExitCode    int
	Created     time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	IP          string
}

// Docker is the in-memory state of one host's daemon. It is safe for
// concurrent use.
type Docker struct {
	mu         sync.Mutex
	seq        int
	containers map[string]*Container // by ID
	images     map[string]string     // normalised ref -> image ID
	execs      map[string]string     // exec ID -> container ID
	requests   int64
	unknown    []string        // requests the model does not simulate, "GET /path"
	networks   map[string]bool // by name (see networks.go)
}

func newDocker() *Docker {
	return &Docker{containers: map[string]*Container{}, images: map[string]string{}, execs: map[string]string{}}
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
	w.Header().Set("Api-Version", APIVersion)
	path := r.URL.Path
	if strings.HasPrefix(path, "/v1.") {
		if i := strings.Index(path[1:], "/"); i >= 0 {
			path = path[i+1:]
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
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
		d.pull(w, q.Get("fromImage"), q.Get("tag"))
	case path == "/images/json" && r.Method == http.MethodGet:
		d.listImages(w)
	case strings.HasPrefix(path, "/images/"):
		d.image(w, r, strings.TrimPrefix(path, "/images/"))
	case strings.HasPrefix(path, "/networks/"):
		d.network(w, r, strings.TrimPrefix(path, "/networks"))
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
				status += " (healthy)"
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
	HostConfig struct {
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
		Labels: b.Labels, Created: time.Now().UTC(), IP: fmt.Sprintf("172.17.%d.%d", d.seq/250%250, 2+d.seq%250)}
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
		if ref, _, _ := strings.Cut(c.Image, "@"); strings.HasSuffix(ref, ":broken") {
			// A build that exits at once, for the barrier's tests.
			c.Running, c.ExitCode, c.FinishedAt = false, 1, time.Now().UTC()
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
		d.seq++
		id := hash("exec" + strconv.Itoa(d.seq))
		d.execs[id] = c.ID
		writeJSON(w, http.StatusCreated, map[string]string{"Id": id})
	case op == "logs" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
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
		h := "starting"
		if c.Running {
			h = "healthy"
		}
		state["Health"] = map[string]any{"Status": h, "FailingStreak": 0, "Log": []any{}}
	}
	return map[string]any{
		"Id": c.ID, "Name": "/" + c.Name, "Image": c.ImageID, "RestartCount": 0,
		"State": state, "Config": config,
		"NetworkSettings": map[string]any{"IPAddress": c.IP, "Networks": map[string]any{"bridge": map[string]string{"IPAddress": c.IP}}},
	}
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.Format(time.RFC3339Nano)
}

func (d *Docker) exec(w http.ResponseWriter, r *http.Request, id, op string) {
	cid, ok := d.execs[id]
	if !ok {
		apiError(w, http.StatusNotFound, "No such exec instance: "+id)
		return
	}
	switch op {
	case "start":
		w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
		_, _ = w.Write(frame(1, "ok\n"))
	case "json":
		c := d.containers[cid]
		code := 0
		if c == nil || !c.Running {
			code = 1
		}
		delete(d.execs, id)
		writeJSON(w, http.StatusOK, map[string]any{"ID": id, "Running": false, "ExitCode": code})
	default:
		d.notSimulated(w, r)
	}
}

// frame is one block of a multiplexed stream.
func frame(stream byte, s string) []byte {
	b := make([]byte, 8+len(s))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(s)))
	copy(b[8:], s)
	return b
}

func (d *Docker) pull(w http.ResponseWriter, repo, tag string) {
	if repo == "" {
		apiError(w, http.StatusBadRequest, "fromImage is required")
		return
	}
	ref := repo + ":" + tag
	if strings.HasPrefix(tag, "sha256:") {
		ref = repo + "@" + tag
	} else if tag == "" {
		ref = repo + ":latest"
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
