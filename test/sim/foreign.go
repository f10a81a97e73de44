package sim

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// Run adds a container that another tool started (Kamal, by hand): name,
// image (added to the host's images), labels, running or exited. It
// returns the container's ID.
func (d *Docker) Run(name, image string, labels map[string]string, running bool) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	imageID := d.addImageLocked(image)
	d.seq++
	id := fmt.Sprintf("%08d", d.seq) + hash(name + strconv.Itoa(d.seq))[:56]
	now := time.Now().UTC()
	c := &Container{ID: id, Name: name, Image: image, ImageID: imageID, Labels: maps.Clone(labels),
		Created: now, StartedAt: now, Running: running, IP: fmt.Sprintf("172.17.%d.%d", d.seq/250%250, 2+d.seq%250)}
	if !running {
		c.FinishedAt = now
	}
	d.containers[id] = c
	return id
}

// ProxyDeploy runs `kamal-proxy deploy NAME --target TARGET` in the
// host's simulated proxy, as another tool's deploy would.
func (d *Docker) ProxyDeploy(name, target string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.routes == nil {
		d.routes = map[string]*proxyRoute{}
	}
	if res := d.proxyDeploy(name, []string{"--target", target}); res.code != 0 {
		return fmt.Errorf("kamal-proxy deploy %s: %s", name, res.stderr)
	}
	return nil
}

// AddNetwork makes a Docker network on the host, as another tool would.
func (d *Docker) AddNetwork(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.networks == nil {
		d.networks = map[string]bool{}
	}
	d.networks[name] = true
}
