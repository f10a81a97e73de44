package sim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// network answers the network requests berth makes: inspect, create,
// connect and remove. path is what follows "/networks".
func (d *Docker) network(w http.ResponseWriter, r *http.Request, path string) {
	if d.networks == nil {
		d.networks = map[string]bool{}
	}
	name, op, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch {
	case name == "create" && op == "" && r.Method == http.MethodPost:
		var body struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
			apiError(w, http.StatusBadRequest, "a network needs a name")
			return
		}
		if d.networks[body.Name] {
			apiError(w, http.StatusConflict, "network with name "+body.Name+" already exists")
			return
		}
		d.networks[body.Name] = true
		writeJSON(w, http.StatusCreated, map[string]string{"Id": body.Name})
	case !d.networks[name]:
		apiError(w, http.StatusNotFound, "network "+name+" not found")
	case op == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"Name": name, "Id": name})
	case op == "connect" && r.Method == http.MethodPost:
		w.WriteHeader(http.StatusOK)
	case op == "" && r.Method == http.MethodDelete:
		delete(d.networks, name)
		w.WriteHeader(http.StatusNoContent)
	default:
		d.notSimulated(w, r)
	}
}

// Networks lists the networks made on the host, sorted.
func (d *Docker) Networks() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.networks))
	for n := range d.networks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
