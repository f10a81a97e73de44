package lock

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// shell runs commands with the real /bin/sh against a temporary HOME, so
// the lock's scripts are exercised for real.
type shell struct{ home string }

func (s shell) Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Env = append(os.Environ(), "HOME="+s.home)
	c.Stdin = stdin
	return c.Output()
}

func TestAcquireIsExclusiveUnderConcurrency(t *testing.T) {
	sh := shell{home: t.TempDir()}
	ctx := context.Background()
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = Acquire(ctx, sh, Info{Service: "shop", Who: "u" + string(rune('a'+i)), When: time.Now(), Version: "v2", Host: "h1"})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrLocked):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d callers took the lock, want exactly 1", won)
	}
}

func TestLockedErrorNamesHolderAndReleaseFreesIt(t *testing.T) {
	sh := shell{home: t.TempDir()}
	ctx := context.Background()
	when := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice@laptop", When: when, Version: "v7", Message: "hotfix", Host: "h1"}); err != nil {
		t.Fatal(err)
	}
	err := Acquire(ctx, sh, Info{Service: "shop", Who: "bob@ci", When: time.Now(), Version: "v8", Host: "h1"})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.Who != "alice@laptop" || !strings.Contains(err.Error(), "v7") || !strings.Contains(err.Error(), "hotfix") {
		t.Fatalf("got %v", err)
	}
	// Another service has its own lock.
	if err := Acquire(ctx, sh, Info{Service: "blog", Who: "bob@ci", Version: "v1", Host: "h1"}); err != nil {
		t.Fatalf("lock of another service: %v", err)
	}
	got, err := Status(ctx, sh, "shop")
	if err != nil || got == nil || got.Who != "alice@laptop" || !got.When.Equal(when) {
		t.Fatalf("status: %+v %v", got, err)
	}
	if err := Release(ctx, sh, "shop"); err != nil {
		t.Fatal(err)
	}
	if got, err := Status(ctx, sh, "shop"); err != nil || got != nil {
		t.Fatalf("after release: %+v %v", got, err)
	}
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "bob@ci", Version: "v8", Host: "h1"}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestServiceNameIsQuoted(t *testing.T) {
	home := t.TempDir()
	sh := shell{home: home}
	evil := "x'; touch " + home + "/pwned; '"
	_ = Acquire(context.Background(), sh, Info{Service: evil, Host: "h1"})
	if _, err := os.Stat(home + "/pwned"); err == nil {
		t.Fatal("service name was interpreted by the shell")
	}
}
