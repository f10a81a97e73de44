package executor

import (
	"context"
	"sync"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// images remembers, for the length of one apply, what each host's daemon
// said of an image: the pull step's look at it and the create's (the
// image's STOPSIGNAL and ENTRYPOINT) are one request, and the roles of a
// host that share an image share it too, so a host with five roles asks
// once instead of ten times. Only found images are remembered: an image
// that was missing is looked at again after the pull. The plan pins
// images by digest, so what the daemon said cannot change under the apply.
type images struct {
	mu sync.Mutex
	m  map[imageKey]*imageLook
}

type imageKey struct{ host, ref string }

// imageLook is one request for an image, which later callers wait for.
type imageLook struct {
	done chan struct{}
	info dockerapi.ImageInfo
	err  error
}

// image returns host's image ref as its daemon has it (an error matching
// dockerapi.ErrNotFound when it has not).
func (r *run) image(ctx context.Context, d Docker, host, ref string) (dockerapi.ImageInfo, error) {
	k := imageKey{host, ref}
	for {
		r.imgs.mu.Lock()
		if r.imgs.m == nil {
			r.imgs.m = map[imageKey]*imageLook{}
		}
		l, ok := r.imgs.m[k]
		if !ok {
			l = &imageLook{done: make(chan struct{})}
			r.imgs.m[k] = l
			r.imgs.mu.Unlock()
			l.info, l.err = d.InspectImage(ctx, ref)
			if l.err != nil {
				r.imgs.mu.Lock()
				delete(r.imgs.m, k)
				r.imgs.mu.Unlock()
			}
			close(l.done)
			return l.info, l.err
		}
		r.imgs.mu.Unlock()
		select {
		case <-l.done:
		case <-ctx.Done():
			return dockerapi.ImageInfo{}, ctx.Err()
		}
		if l.err == nil {
			return l.info, nil
		}
		// The look failed (the image missing, or the request): this
		// caller looks for itself, as it would have without the others.
	}
}
