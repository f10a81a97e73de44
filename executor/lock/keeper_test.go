package lock

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func dialShell(sh shell) Dial {
	return func(context.Context) (Runner, error) { return sh, nil }
}

func TestKeeperBeatsAndReleasesItsOwnLock(t *testing.T) {
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice", Host: "h1", Token: "tok-a"}); err != nil {
		t.Fatal(err)
	}
	var beats atomic.Int32
	dial := func(ctx context.Context) (Runner, error) { beats.Add(1); return sh, nil }
	k := Keep(ctx, dial, "shop", "tok-a", KeepOptions{Every: 20 * time.Millisecond, OnTakenOver: func(err error) { t.Errorf("taken over: %v", err) }})
	deadline := time.Now().Add(10 * time.Second)
	for beats.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no heartbeats")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := k.ReleaseOwn(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := Status(ctx, sh, "shop"); err != nil || h != nil {
		t.Fatalf("after ReleaseOwn: %+v %v", h, err)
	}
}

func TestKeeperWarnsOnceAndLeavesTheNewHoldersLock(t *testing.T) {
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice", Host: "h1", Token: "tok-a"}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var warned []error
	k := Keep(ctx, dialShell(sh), "shop", "tok-a", KeepOptions{Every: 20 * time.Millisecond, OnTakenOver: func(err error) {
		mu.Lock()
		warned = append(warned, err)
		mu.Unlock()
	}})
	// berth lock release --force, then a second apply.
	if err := Release(ctx, sh, "shop", "tok-a"); err != nil {
		t.Fatal(err)
	}
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "bob", Host: "h1", Token: "tok-b"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for k.TakenOver() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the take-over was not noticed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := k.ReleaseOwn(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warned) != 1 || !errors.Is(warned[0], ErrNotHeld) {
		t.Fatalf("warnings: %v", warned)
	}
	if h, err := Status(ctx, sh, "shop"); err != nil || h == nil || h.Token != "tok-b" {
		t.Fatalf("the second holder's lock: %+v %v", h, err)
	}
}

func TestReleaseOwnRedialsAfterALostConnection(t *testing.T) {
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice", Host: "h1", Token: "tok-a"}); err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int32
	dial := func(context.Context) (Runner, error) {
		if dials.Add(1) == 1 {
			return deadRunner{}, nil
		}
		return sh, nil
	}
	k := Keep(ctx, dial, "shop", "tok-a", KeepOptions{Every: time.Hour})
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := k.ReleaseOwn(rctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := Status(ctx, sh, "shop"); h != nil {
		t.Fatalf("lock left behind: %+v", h)
	}
}

type deadRunner struct{}

func (deadRunner) Run(context.Context, string, io.Reader) ([]byte, error) {
	return nil, errors.New("host h1: host unreachable: connection lost")
}

func TestAcquireWaitGetsTheLockOnceFree(t *testing.T) {
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice", Host: "h1", Token: "tok-a", ByHand: true, Message: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	// Too short a wait: the holder's error.
	err := AcquireWait(ctx, dialShell(sh), Info{Service: "shop", Who: "bob", Host: "h1", Token: "tok-b"}, 100*time.Millisecond, nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("short wait: %v", err)
	}
	var waits []Holder
	go func() {
		time.Sleep(1500 * time.Millisecond)
		_ = Release(ctx, sh, "shop", "tok-a")
	}()
	err = AcquireWait(ctx, dialShell(sh), Info{Service: "shop", Who: "bob", Host: "h1", Token: "tok-b"}, 20*time.Second, func(h Holder) { waits = append(waits, h) })
	if err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0].Who != "alice" {
		t.Fatalf("waiting for: %+v", waits)
	}
	if h, _ := Status(ctx, sh, "shop"); h == nil || h.Token != "tok-b" {
		t.Fatalf("holder: %+v", h)
	}
}
