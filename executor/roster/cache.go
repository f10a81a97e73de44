package roster

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/berth-sh/berth/planner"
)

// Seen is a host's roster as a Cache read it.
type Seen struct {
	Digest  string               // the list's digest; "" for a format 1 file or none
	Stub    bool                 // the host keeps only the digest and the keepers
	Keepers []planner.RosterHost // a stub's keepers
	Hosts   []planner.RosterHost // the whole list (a stub's read from a keeper)
}

// Cache reads rosters for one plan. It decodes each distinct file once
// (format 1 rosters, whole on every host, would cost hosts² entries
// otherwise) and follows each distinct stub to a keeper once. The lists
// it returns are shared: callers must not change them. The zero Cache
// decodes once but cannot follow a stub.
type Cache struct {
	// Keeper returns a Runner on a keeper named in a stub (a host of the
	// configuration or one that left it).
	Keeper func(ctx context.Context, keeper planner.RosterHost) (Runner, error)

	mu    sync.Mutex
	files map[[sha256.Size]byte]*entry // by the file's bytes
	lists map[string]*entry            // the whole list, by digest
}

// entry is one decode or one follow, shared by the hosts that need it;
// done is closed when ro and err are set.
type entry struct {
	done chan struct{}
	ro   Roster
	err  error
}

// Read reads the roster of service on the host r reaches.
func (c *Cache) Read(ctx context.Context, r Runner, service string) (Seen, error) {
	out, err := readFile(ctx, r, service)
	if err != nil {
		return Seen{}, err
	}
	e := c.file(sha256.Sum256(out), func() (Roster, error) { return Decode(out, service) })
	if e.err != nil {
		return Seen{}, e.err
	}
	ro := e.ro
	seen := Seen{Digest: ro.Digest, Stub: ro.Stub(), Keepers: ro.Keepers, Hosts: ro.Hosts}
	if !ro.Stub() {
		if ro.Digest != "" {
			c.offer(ro)
		}
		return seen, nil
	}
	l := c.list(ro.Digest, func() (Roster, error) { return c.follow(ctx, ro, service) })
	seen.Hosts = l.ro.Hosts
	return seen, l.err
}

func (c *Cache) file(sum [sha256.Size]byte, decode func() (Roster, error)) *entry {
	c.mu.Lock()
	if c.files == nil {
		c.files = map[[sha256.Size]byte]*entry{}
	}
	return c.once(c.files[sum], func(e *entry) { c.files[sum] = e }, decode)
}

func (c *Cache) list(digest string, follow func() (Roster, error)) *entry {
	c.mu.Lock()
	if c.lists == nil {
		c.lists = map[string]*entry{}
	}
	return c.once(c.lists[digest], func(e *entry) { c.lists[digest] = e }, follow)
}

// once returns have, waiting for it, or makes it with f and keeps it with
// put. It is called with c.mu held and releases it.
func (c *Cache) once(have *entry, put func(*entry), f func() (Roster, error)) *entry {
	if have != nil {
		c.mu.Unlock()
		<-have.done
		return have
	}
	e := &entry{done: make(chan struct{})}
	put(e)
	c.mu.Unlock()
	e.ro, e.err = f()
	close(e.done)
	return e
}

// offer keeps a whole list read from a keeper for the stubs that name it.
func (c *Cache) offer(ro Roster) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lists == nil {
		c.lists = map[string]*entry{}
	}
	if _, ok := c.lists[ro.Digest]; !ok {
		e := &entry{done: make(chan struct{}), ro: ro}
		close(e.done)
		c.lists[ro.Digest] = e
	}
}

// follow reads a stub's whole list from the first of its keepers that
// has it. A keeper that keeps a later whole roster instead has moved on
// (an apply that could not reach this host wrote it, carrying forward
// every host the stub's list still had pending): its list stands for the
// stub's.
func (c *Cache) follow(ctx context.Context, stub Roster, service string) (Roster, error) {
	if c == nil || c.Keeper == nil {
		return Roster{}, fmt.Errorf("the roster is a stub and this reader cannot reach its keepers")
	}
	var errs []error
	for _, k := range stub.Keepers {
		ro, err := c.readKeeper(ctx, k, service)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", k.Name, err))
		case ro.Stub() || ro.Digest == "" && len(ro.Hosts) == 0:
			errs = append(errs, fmt.Errorf("%s keeps no whole roster", k.Name))
		case ro.Digest == stub.Digest || ro.Written.After(stub.Written):
			return ro, nil
		default:
			errs = append(errs, fmt.Errorf("%s keeps an older roster (%s)", k.Name, ro.Written.Format("2006-01-02 15:04:05Z")))
		}
	}
	return Roster{}, fmt.Errorf("the roster here keeps only a digest (%s); its whole list is kept on %s, and none of them could give it: %w",
		short(stub.Digest), names(stub.Keepers), errors.Join(errs...))
}

func (c *Cache) readKeeper(ctx context.Context, k planner.RosterHost, service string) (Roster, error) {
	r, err := c.Keeper(ctx, k)
	if err != nil {
		return Roster{}, err
	}
	out, err := readFile(ctx, r, service)
	if err != nil {
		return Roster{}, err
	}
	e := c.file(sha256.Sum256(out), func() (Roster, error) { return Decode(out, service) })
	return e.ro, e.err
}

func names(hs []planner.RosterHost) string {
	n := make([]string, len(hs))
	for i, h := range hs {
		n[i] = h.Name
	}
	return strings.Join(n, ", ")
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}
