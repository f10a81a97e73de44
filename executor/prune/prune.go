package prune

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/berth-sh/berth/executor/oneoff"
	"github.com/berth-sh/berth/internal/dockerapi"
	"github.com/berth-sh/berth/internal/imageref"
	"github.com/berth-sh/berth/planner"
)

// Docker is what pruning needs of a host's Docker daemon.
type Docker interface {
	List(ctx context.Context, filters map[string][]string) ([]dockerapi.ContainerSummary, error)
	Remove(ctx context.Context, id string, force bool) error
	ListImages(ctx context.Context) ([]dockerapi.ImageSummary, error)
	RemoveImage(ctx context.Context, ref string) error
}

// Options say what to keep.
type Options struct {
	Service     string
	Destination string   // only the containers of this destination (planner.LabelDestination)
	Retain      int      // stopped containers kept per role or accessory
	Repos       []string // image repositories of the service ("10.77.0.1:5000/app")
	// Images: also remove unused images of Repos; Containers: also remove
	// stopped containers beyond Retain.
	Images, Containers bool
	DryRun             bool // say what would go, remove nothing
	// ImageIDs, when not nil, limits the images to these IDs (after an
	// apply: the images of the service's containers it saw).
	ImageIDs map[string]bool
}

// Result is what was (or, with DryRun, would be) removed on one host.
type Result struct {
	Containers []string // names
	Images     []string // references
}

// Host prunes one host.
func Host(ctx context.Context, d Docker, o Options) (Result, error) {
	var res Result
	all, err := d.List(ctx, nil)
	if err != nil {
		return res, err
	}
	var errs []error
	if o.Containers {
		for _, c := range Containers(ofDestination(all, o.Destination), o.Service, o.Retain) {
			if !o.DryRun {
				if err := d.Remove(ctx, c.ID, false); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
					errs = append(errs, fmt.Errorf("remove %s: %w", c.Name, err))
					continue
				}
			}
			res.Containers = append(res.Containers, c.Name)
		}
		all = slices.DeleteFunc(all, func(c dockerapi.ContainerSummary) bool { return slices.Contains(res.Containers, c.Name) })
	}
	if o.Images {
		imgs, err := d.ListImages(ctx)
		if err != nil {
			return res, errors.Join(append(errs, err)...)
		}
		if o.ImageIDs != nil {
			imgs = slices.DeleteFunc(imgs, func(i dockerapi.ImageSummary) bool { return !o.ImageIDs[i.ID] })
		}
		for _, ref := range Images(imgs, all, o.Repos) {
			if !o.DryRun {
				if err := d.RemoveImage(ctx, ref); err != nil {
					if !errors.Is(err, dockerapi.ErrNotFound) && !errors.Is(err, dockerapi.ErrConflict) {
						errs = append(errs, err)
					}
					continue
				}
			}
			res.Images = append(res.Images, ref)
		}
	}
	return res, errors.Join(errs...)
}

// Containers picks the containers to remove from a host's listing: for
// each role or accessory of the service, its stopped containers beyond
// the retain newest; and every stopped one-off container of the service.
// Running containers are never picked.
func Containers(all []dockerapi.ContainerSummary, service string, retain int) []dockerapi.ContainerSummary {
	type key struct{ role, accessory string }
	groups := map[key][]dockerapi.ContainerSummary{}
	var out []dockerapi.ContainerSummary
	for _, c := range all {
		if stopped(c) && c.Labels[oneoff.Label] == service {
			out = append(out, c)
			continue
		}
		if c.Labels[planner.LabelService] != service || !stopped(c) {
			continue
		}
		k := key{c.Labels[planner.LabelRole], c.Labels[planner.LabelAccessory]}
		groups[k] = append(groups[k], c)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.accessory, b.accessory), cmp.Compare(a.role, b.role)) })
	for _, k := range keys {
		g := groups[k]
		slices.SortStableFunc(g, func(a, b dockerapi.ContainerSummary) int {
			return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.Name, a.Name))
		})
		if len(g) > retain {
			out = append(out, g[max(retain, 0):]...)
		}
	}
	return out
}

func stopped(c dockerapi.ContainerSummary) bool {
	return c.State == "exited" || c.State == "created" || c.State == "dead"
}

// Images picks the references to remove: every tag and digest reference
// in one of repos of an image that no container in all uses.
func Images(imgs []dockerapi.ImageSummary, all []dockerapi.ContainerSummary, repos []string) []string {
	used := map[string]bool{}
	for _, c := range all {
		used[c.ImageID] = true
	}
	var out []string
	for _, img := range imgs {
		if used[img.ID] {
			continue
		}
		for _, ref := range slices.Concat(img.RepoTags, img.RepoDigests) {
			if slices.Contains(repos, repoOf(ref)) {
				out = append(out, ref)
			}
		}
	}
	return out
}

// repoOf is the repository of "repo:tag" or "repo@sha256:...".
func repoOf(ref string) string { return imageref.Split(ref).Repository }

// ofDestination keeps the containers of one destination ("" = those of
// none): another destination's containers are not this prune's.
func ofDestination(all []dockerapi.ContainerSummary, dest string) []dockerapi.ContainerSummary {
	var out []dockerapi.ContainerSummary
	for _, c := range all {
		if c.Labels[planner.LabelDestination] == dest {
			out = append(out, c)
		}
	}
	return out
}
