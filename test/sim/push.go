package sim

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
)

// This file is what the daemon does with built images: it tags them,
// keeps their steps' cache, and pushes them to the fleet's registry
// (POST /images/NAME/push), with the progress lines dockerd writes; and
// a host's daemon can answer on a local unix socket too, for builds on
// "the local daemon".

// APIVersion is the Engine API version the daemon says it speaks.
func (d *Docker) APIVersion() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.version != "" {
		return d.version
	}
	return APIVersion
}

// cached reports whether a build step's cache key was built before.
func (d *Docker) cached(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buildCache[key]
}

// cache keeps a built step's key.
func (d *Docker) cache(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.buildCache == nil {
		d.buildCache = map[string]bool{}
	}
	d.buildCache[key] = true
}

// tagBuilt gives a built image its tags.
func (d *Docker) tagBuilt(id string, tags []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range tags {
		d.images[normRef(t)] = id
	}
}

func (d *Docker) registryOf() *Registry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.registry
}

// UseRegistry makes every host push to r (and resolve FROM images there).
func (f *Fleet) UseRegistry(r *Registry) {
	for _, h := range f.Hosts {
		h.Docker.mu.Lock()
		h.Docker.registry = r
		h.Docker.mu.Unlock()
	}
}

// push answers POST /images/NAME/push?tag=TAG (d.mu held): the image must
// be tagged here, the registry must be the fleet's and accept the
// X-Registry-Auth login. Two layers per image; one the registry has is
// "Layer already exists".
func (d *Docker) push(w http.ResponseWriter, r *http.Request, name, tag string) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	fail := func(msg string) {
		_ = enc.Encode(map[string]any{"errorDetail": map[string]string{"message": msg}, "error": msg})
	}
	if tag == "" {
		tag = "latest"
	}
	id, ok := d.images[normRef(name+":"+tag)]
	if !ok {
		fail("An image does not exist locally with the tag: " + name)
		return
	}
	_ = enc.Encode(map[string]string{"status": "The push refers to repository [" + name + "]"})
	host, repo, _ := strings.Cut(name, "/")
	if d.registry == nil || host != d.registry.Host() {
		digest, ok, err := d.pushLoopback(r, enc, host, repo, tag, id)
		switch {
		case !ok:
			fail("Get \"https://" + host + "/v2/\": dial tcp: lookup " + host + ": no such host")
		case err != nil:
			fail(err.Error())
		default:
			_ = enc.Encode(map[string]string{"status": tag + ": digest: " + digest + " size: 528"})
			_ = enc.Encode(map[string]any{"progressDetail": map[string]any{}, "aux": map[string]any{"Tag": tag, "Digest": digest, "Size": 528}})
		}
		return
	}
	var login struct{ Username, Password string }
	if b, err := base64.URLEncoding.DecodeString(r.Header.Get("X-Registry-Auth")); err == nil {
		_ = json.Unmarshal(b, &login)
	}
	if !d.registry.accepts(login.Username, login.Password) {
		fail("unauthorized: authentication required")
		return
	}
	for i, layer := range []string{hash("base " + repo)[:12], hash("layer " + id)[:12]} {
		size := int64(1024 * (i*3 + 2))
		_ = enc.Encode(map[string]string{"status": "Preparing", "id": layer})
		if !d.registry.addBlob(layer) {
			_ = enc.Encode(map[string]string{"status": "Layer already exists", "id": layer})
			continue
		}
		_ = enc.Encode(map[string]any{"status": "Pushing", "id": layer, "progressDetail": map[string]int64{"current": size / 2, "total": size}})
		_ = enc.Encode(map[string]string{"status": "Pushed", "id": layer})
	}
	digest := "sha256:" + hash("manifest "+id)
	d.registry.pushDigest(repo, tag, digest)
	_ = enc.Encode(map[string]string{"status": tag + ": digest: " + digest + " size: 528"})
	_ = enc.Encode(map[string]any{"progressDetail": map[string]any{}, "aux": map[string]any{"Tag": tag, "Digest": digest, "Size": 528}})
}

// ServeUnix serves the host's Docker Engine API on a unix socket at path
// too, as a local daemon (DOCKER_HOST=unix://PATH) would, until the
// returned function is called.
func (h *Host) ServeUnix(path string) (stop func(), err error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); h.serveDocker(c.(*net.UnixConn)) }()
		}
	}()
	return func() { _ = ln.Close(); wg.Wait() }, nil
}
