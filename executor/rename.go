package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/berth-sh/berth/internal/dockerapi"
)

// renameAside renames every live container of the branch's address that
// has the new container's name (same version, another config: always so
// for an accessory, whose name has no version) to NAME-SHORTID, and
// remembers its own name for renameBack.
func (r *run) renameAside(ctx context.Context, d Docker, b *branch) error {
	spec := b.change.Desired
	for _, old := range liveContainers(b.change) {
		if old.Name != spec.Name {
			continue
		}
		to := spec.Name + "-" + shortID(old.ID)
		if err := d.Rename(ctx, old.ID, to); err != nil {
			if uncertain(err) {
				b.remember(old.ID, old.Name) // it may have happened all the same
			}
			return fmt.Errorf("rename %s out of the way: %w", old.Name, err)
		}
		b.remember(old.ID, old.Name)
	}
	return nil
}

func (b *branch) remember(id, name string) {
	if b.renamed == nil {
		b.renamed = map[string]string{}
	}
	b.renamed[id] = name
}

// renameBack gives every container renameAside renamed its own name
// again, once the new container that took it is gone: a restored
// container is found by its name (docker exec shop-db) as before the
// failed replace.
func (r *run) renameBack(ctx context.Context, d Docker, b *branch) error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(b.renamed)) {
		name := b.renamed[id]
		err := d.Rename(ctx, id, name)
		if err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			if info, ierr := d.Inspect(ctx, id); ierr == nil && info.Name == name {
				err = nil // it has its name already (a lost reply, or a second try)
			}
		}
		if err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
			errs = append(errs, fmt.Errorf("give %s its name %s back: %w", shortID(id), name, err))
			continue
		}
		delete(b.renamed, id)
		r.rep.Event(b.addr(), "renamed "+shortID(id)+" back to "+name)
	}
	return errors.Join(errs...)
}

// takeOwnName gives a retained container, started again in place of a new
// one, the name the configuration gives it, once the container that held
// that name is stopped: going back to an accessory's earlier
// configuration brings back its container under NAME-SHORTID otherwise,
// and `docker exec shop-db` reaches the stopped one. The stopped holder is
// renamed aside, as create does with a same-named container.
func (r *run) takeOwnName(ctx context.Context, d Docker, b *branch) error {
	if b.origin != originRetained || b.newID == "" || b.change.Desired == nil {
		return nil
	}
	want := b.change.Desired.Name
	cur := ""
	for _, c := range liveContainers(b.change) {
		if c.ID == b.newID {
			cur = c.Name
		}
	}
	if cur == "" || cur == want {
		return nil
	}
	for _, c := range liveContainers(b.change) {
		if c.Name == want && c.ID != b.newID {
			if err := d.Rename(ctx, c.ID, want+"-"+shortID(c.ID)); err != nil && !errors.Is(err, dockerapi.ErrNotFound) {
				return fmt.Errorf("rename %s out of the way: %w", want, err)
			}
		}
	}
	if err := d.Rename(ctx, b.newID, want); err != nil {
		return fmt.Errorf("give %s its name %s: %w", cur, want, err)
	}
	r.rep.Event(b.addr(), "renamed "+cur+" to "+want)
	return nil
}
