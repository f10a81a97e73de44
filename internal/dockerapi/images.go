package dockerapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/berth-sh/berth/internal/imageref"
)

// Auth are registry credentials for a pull. The password is sent to the
// daemon only, never logged.
type Auth struct {
	Username      string
	Password      string
	ServerAddress string
}

// String hides the password.
func (a Auth) String() string { return fmt.Sprintf("%s@%s", a.Username, a.ServerAddress) }

// GoString hides the password from %#v too.
func (a Auth) GoString() string { return "dockerapi.Auth{" + a.String() + "}" }

// header is the X-Registry-Auth value: base64url of the JSON credentials.
func (a *Auth) header() string {
	b, _ := json.Marshal(struct {
		Username      string `json:"username"`
		Password      string `json:"password"`
		ServerAddress string `json:"serveraddress"`
	}{a.Username, a.Password, a.ServerAddress})
	return base64.URLEncoding.EncodeToString(b)
}

// SplitRef splits an image reference into repository, tag and digest:
// "10.77.0.1:5000/app:v1@sha256:ab" gives "10.77.0.1:5000/app", "v1",
// "sha256:ab". Tag and digest are "" when absent.
func SplitRef(ref string) (repo, tag, digest string) {
	r := imageref.Split(ref)
	return r.Repository, r.Tag, r.Digest
}

// ErrPull is matched by errors reported inside a pull's progress stream.
var ErrPull = errors.New("pull failed")

// Pull pulls ref (by digest when it has one, else by tag, else "latest")
// and reads the daemon's progress stream to its end.
func (c *Client) Pull(ctx context.Context, ref string, auth *Auth) error {
	repo, tag, digest := SplitRef(ref)
	if digest != "" {
		tag = digest
	}
	if tag == "" {
		tag = "latest"
	}
	r := request{method: http.MethodPost, path: "/images/create", query: url.Values{"fromImage": {repo}, "tag": {tag}}}
	if auth != nil {
		r.header = http.Header{"X-Registry-Auth": {auth.header()}}
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return c.wrap("pull", ref, err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var m struct {
			Status      string `json:"status"`
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return c.wrap("pull", ref, fmt.Errorf("reading the progress stream: %w", err))
		}
		msg := m.Error
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			msg = m.ErrorDetail.Message
		}
		if msg != "" {
			return c.wrap("pull", ref, fmt.Errorf("%w: %s", ErrPull, msg))
		}
	}
}

// ImageExists reports whether the daemon has image ref.
func (c *Client) ImageExists(ctx context.Context, ref string) (bool, error) {
	err := c.call(ctx, request{method: http.MethodGet, path: "/images/" + ref + "/json"}, nil)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, c.wrap("inspect image", ref, err)
	}
	return true, nil
}

// ImageInfo is what berth needs to know about a local image.
type ImageInfo struct {
	ID          string
	RepoTags    []string
	RepoDigests []string // "repo@sha256:..." of the manifests it was pulled by
	// StopSignal and Entrypoint are the image's STOPSIGNAL and ENTRYPOINT
	// ("" and nil when it sets none).
	StopSignal string
	Entrypoint []string
}

// InspectImage returns the local image ref; a missing one matches ErrNotFound.
func (c *Client) InspectImage(ctx context.Context, ref string) (ImageInfo, error) {
	var r struct {
		ID          string   `json:"Id"`
		RepoTags    []string `json:"RepoTags"`
		RepoDigests []string `json:"RepoDigests"`
		Config      *struct {
			StopSignal string   `json:"StopSignal"`
			Entrypoint []string `json:"Entrypoint"`
		} `json:"Config"`
	}
	if err := c.call(ctx, request{method: http.MethodGet, path: "/images/" + ref + "/json"}, &r); err != nil {
		return ImageInfo{}, c.wrap("inspect image", ref, err)
	}
	info := ImageInfo{ID: r.ID, RepoTags: r.RepoTags, RepoDigests: r.RepoDigests}
	if r.Config != nil {
		info.StopSignal, info.Entrypoint = r.Config.StopSignal, r.Config.Entrypoint
	}
	return info, nil
}

// RemoveImage removes image ref (an untag when other tags remain). A
// missing image matches ErrNotFound; one used by a container ErrConflict.
func (c *Client) RemoveImage(ctx context.Context, ref string) error {
	err := c.call(ctx, request{method: http.MethodDelete, path: "/images/" + ref}, nil)
	return c.wrap("remove image", ref, err)
}
