package prune

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/dockerapi"
)

func ctr(name, state string, age int, labels map[string]string, image string) dockerapi.ContainerSummary {
	return dockerapi.ContainerSummary{ID: "id-" + name, Name: name, State: state, Labels: labels, ImageID: image,
		Created: time.Unix(1e9, 0).Add(-time.Duration(age) * time.Hour)}
}

func web(v string) map[string]string {
	return map[string]string{"berth.service": "shop", "berth.role": "web", "berth.version": v}
}

var listing = []dockerapi.ContainerSummary{
	ctr("shop-web-v5", "running", 0, web("v5"), "sha256:5"),
	ctr("shop-web-v4", "exited", 1, web("v4"), "sha256:4"),
	ctr("shop-web-v3", "exited", 2, web("v3"), "sha256:3"),
	ctr("shop-web-v2", "exited", 3, web("v2"), "sha256:2"),
	ctr("shop-web-v1", "exited", 4, web("v1"), "sha256:1"),
	ctr("shop-worker-v0", "running", 9, map[string]string{"berth.service": "shop", "berth.role": "worker"}, "sha256:0"),
	ctr("shop-web-run-ab", "exited", 0, map[string]string{"berth.oneoff": "shop"}, "sha256:5"),
	ctr("other-web-v1", "exited", 9, map[string]string{"berth.service": "other", "berth.role": "web"}, "sha256:1"),
	ctr("by-hand", "exited", 9, nil, "sha256:9"),
}

func names(cs []dockerapi.ContainerSummary) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.Name)
	}
	return strings.Join(s, " ")
}

func TestContainersBeyondRetain(t *testing.T) {
	if got := names(Containers(listing, "shop", 2)); got != "shop-web-run-ab shop-web-v2 shop-web-v1" {
		t.Errorf("retain 2: %s", got)
	}
	if got := names(Containers(listing, "shop", 0)); got != "shop-web-run-ab shop-web-v4 shop-web-v3 shop-web-v2 shop-web-v1" {
		t.Errorf("retain 0: %s", got)
	}
}

func TestImagesUnusedOfTheRepositoryOnly(t *testing.T) {
	imgs := []dockerapi.ImageSummary{
		{ID: "sha256:5", RepoTags: []string{"reg:5000/app:v5"}},                                                             // used
		{ID: "sha256:1", RepoDigests: []string{"reg:5000/app@sha256:d1"}},                                                   // used by another service's container
		{ID: "sha256:7", RepoTags: []string{"reg:5000/app:v7", "mine:v7"}, RepoDigests: []string{"reg:5000/app@sha256:d7"}}, // unused
		{ID: "sha256:8", RepoTags: []string{"reg:5000/cache:8"}},                                                            // another repository
	}
	got := Images(imgs, listing, []string{"reg:5000/app"})
	if !slices.Equal(got, []string{"reg:5000/app:v7", "reg:5000/app@sha256:d7"}) {
		t.Errorf("Images = %v", got)
	}
}

type fakeDocker struct {
	removed, images []string
}

func (f *fakeDocker) List(context.Context, map[string][]string) ([]dockerapi.ContainerSummary, error) {
	return slices.Clone(listing), nil // Host may reuse what List returns
}
func (f *fakeDocker) Remove(_ context.Context, id string, force bool) error {
	if force {
		panic("prune must never force")
	}
	f.removed = append(f.removed, id)
	return nil
}
func (f *fakeDocker) ListImages(context.Context) ([]dockerapi.ImageSummary, error) {
	return []dockerapi.ImageSummary{{ID: "sha256:1", RepoTags: []string{"reg/app:v1"}}, {ID: "sha256:2", RepoTags: []string{"reg/app:v2"}}}, nil
}
func (f *fakeDocker) RemoveImage(_ context.Context, ref string) error {
	f.images = append(f.images, ref)
	return nil
}

func TestHostRemovesContainersThenTheirImages(t *testing.T) {
	f := &fakeDocker{}
	res, err := Host(context.Background(), f, Options{Service: "shop", Retain: 2, Repos: []string{"reg/app"}, Images: true, Containers: true})
	if err != nil {
		t.Fatal(err)
	}
	// v2's image is no longer used once its container is gone; v1's still is (by other-web-v1).
	if strings.Join(res.Containers, " ") != "shop-web-run-ab shop-web-v2 shop-web-v1" || strings.Join(res.Images, " ") != "reg/app:v2" {
		t.Errorf("result = %+v", res)
	}
	if len(f.removed) != 3 || len(f.images) != 1 {
		t.Errorf("removed %v, images %v", f.removed, f.images)
	}
	dry := &fakeDocker{}
	if _, err := Host(context.Background(), dry, Options{Service: "shop", Retain: 2, Repos: []string{"reg/app"}, Images: true, Containers: true, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if len(dry.removed)+len(dry.images) != 0 {
		t.Errorf("dry run removed %v %v", dry.removed, dry.images)
	}
}
