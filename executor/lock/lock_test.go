package lock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-sh/berth/internal/shelltest"
)

// shell runs commands with the real /bin/sh against a temporary HOME, so
// the lock's scripts are exercised for real.
type shell = shelltest.Shell

func TestAcquireIsExclusiveUnderConcurrency(t *testing.T) {
	sh := shell{Home: t.TempDir()}
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
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	when := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice@laptop", When: when, Version: "v7", Message: "hotfix", Host: "h1", Token: "ta"}); err != nil {
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
	if err := Release(ctx, sh, "shop", "ta"); err != nil {
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
	sh := shell{Home: home}
	evil := "x'; touch " + home + "/pwned; '"
	_ = Acquire(context.Background(), sh, Info{Service: evil, Host: "h1"})
	if _, err := os.Stat(home + "/pwned"); err == nil {
		t.Fatal("service name was interpreted by the shell")
	}
}

func TestReleaseRemovesOnlyItsOwnLock(t *testing.T) {
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice@laptop", Version: "v1", Host: "h1", Token: "tok-a"}); err != nil {
		t.Fatal(err)
	}
	err := Release(ctx, sh, "shop", "tok-b")
	var lost *TakenOverError
	if !errors.As(err, &lost) || !errors.Is(err, ErrNotHeld) || lost.Holder == nil || lost.Holder.Who != "alice@laptop" {
		t.Fatalf("release with another token: %v", err)
	}
	if h, err := Status(ctx, sh, "shop"); err != nil || h == nil || h.Token != "tok-a" {
		t.Fatalf("the lock was touched: %+v %v", h, err)
	}
	if err := Release(ctx, sh, "shop", "tok-a"); err != nil {
		t.Fatal(err)
	}
	err = Release(ctx, sh, "shop", "tok-a")
	if !errors.As(err, &lost) || lost.Holder != nil {
		t.Fatalf("release of a gone lock: %v", err)
	}
}

func TestHeartbeatIsLiveThenStaleAndNoticesATakeOver(t *testing.T) {
	home := t.TempDir()
	sh := shell{Home: home}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice@laptop", Version: "v1", Host: "h1", Token: "tok-a"}); err != nil {
		t.Fatal(err)
	}
	h, err := Status(ctx, sh, "shop")
	if err != nil || h.State != StateLive || !h.Live || h.Age() > 2*time.Second {
		t.Fatalf("a fresh lock: %+v %v", h, err)
	}
	// A heartbeat from long ago: the holder looks dead.
	beat := home + "/.berth/locks/shop/heartbeat"
	old := strconv.FormatInt(time.Now().Add(-StaleAfter-time.Minute).Unix(), 10)
	if err := os.WriteFile(beat, []byte(old+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err = Status(ctx, sh, "shop")
	if err != nil || h.State != StateStale || h.Live || h.Age() < StaleAfter {
		t.Fatalf("a stale lock: %+v %v", h, err)
	}
	if !strings.Contains(h.Describe(), "looks dead") {
		t.Errorf("describe: %s", h.Describe())
	}
	if err := Heartbeat(ctx, sh, "shop", "tok-a"); err != nil {
		t.Fatal(err)
	}
	if h, _ = Status(ctx, sh, "shop"); h.State != StateLive {
		t.Fatalf("after a heartbeat: %+v", h)
	}
	// Someone releases it and another apply takes it.
	if err := Release(ctx, sh, "shop", "tok-a"); err != nil {
		t.Fatal(err)
	}
	err = Heartbeat(ctx, sh, "shop", "tok-a")
	var lost *TakenOverError
	if !errors.As(err, &lost) || lost.Holder != nil {
		t.Fatalf("heartbeat of a gone lock: %v", err)
	}
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "bob@ci", Version: "v2", Host: "h1", Token: "tok-b"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(beat)
	err = Heartbeat(ctx, sh, "shop", "tok-a")
	if !errors.As(err, &lost) || lost.Holder == nil || lost.Holder.Who != "bob@ci" || !strings.Contains(err.Error(), "bob@ci") {
		t.Fatalf("heartbeat of a lock taken over: %v", err)
	}
	if after, _ := os.ReadFile(beat); string(after) != string(before) {
		t.Errorf("the other holder's heartbeat was rewritten")
	}
}

func TestByHandLockHasNoHeartbeat(t *testing.T) {
	sh := shell{Home: t.TempDir()}
	ctx := context.Background()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice@laptop", Message: "maintenance", Host: "h1", Token: "tok-m", ByHand: true}); err != nil {
		t.Fatal(err)
	}
	err := Acquire(ctx, sh, Info{Service: "shop", Who: "bob@ci", Version: "v2", Host: "h1", Token: "tok-b"})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.State != StateByHand || le.Holder.Live || !strings.Contains(err.Error(), "maintenance") || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("apply against a lock taken by hand: %v", err)
	}
}

func TestStatusOfALockWithoutHeartbeatOrToken(t *testing.T) {
	home := t.TempDir()
	sh := shell{Home: home}
	ctx := context.Background()
	// What an older berth leaves: the directory and info.json only.
	d := home + "/.berth/locks/shop"
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d+"/info.json", []byte(`{"service":"shop","who":"old@berth","version":"v1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := Status(ctx, sh, "shop")
	if err != nil || h.State != StateUnknown || h.Live || h.Who != "old@berth" {
		t.Fatalf("status: %+v %v", h, err)
	}
	if err := Release(ctx, sh, "shop", h.Token); err != nil {
		t.Fatalf("release of a lock without a token: %v", err)
	}
	if h, _ := Status(ctx, sh, "shop"); h != nil {
		t.Fatalf("still locked: %+v", h)
	}
}

// slowRelease is a shell whose Release pauses between its token check and
// its removal, and says when it got there, to widen the window of a race.
type slowRelease struct {
	shell
	checked string // file created once the check passed
}

func (s slowRelease) Run(ctx context.Context, cmd string, stdin io.Reader) ([]byte, error) {
	cmd = strings.Replace(cmd, `  mv "$d" "$d.released.$$"`, `  touch `+quote(s.checked)+`; sleep 0.3; mv "$d" "$d.released.$$"`, 1)
	return s.shell.Run(ctx, cmd, stdin)
}

// A release races with a forced release followed by another apply's take:
// the first holder's release must never remove the second holder's lock.
func TestReleaseNeverRemovesALockTakenMeanwhile(t *testing.T) {
	home := t.TempDir()
	sh := shell{Home: home}
	ctx := context.Background()
	for i := range 3 {
		checked := fmt.Sprintf("%s/checked-%d", home, i)
		if err := Acquire(ctx, sh, Info{Service: "shop", Who: "first", Host: "h1", Token: "tok-1"}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { _ = Release(ctx, slowRelease{sh, checked}, "shop", "tok-1") })
		// berth lock release --force of the lock it saw, then another apply,
		// while the first holder's release is between its check and its rm.
		seen, err := Status(ctx, sh, "shop")
		if err != nil || seen == nil {
			t.Fatalf("status: %+v %v", seen, err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(checked); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the first release never got past its check")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_ = Release(ctx, sh, "shop", seen.Token)
		if err := Acquire(ctx, sh, Info{Service: "shop", Who: "second", Host: "h1", Token: "tok-2"}); err != nil {
			t.Fatalf("round %d: the second apply: %v", i, err)
		}
		wg.Wait()
		h, err := Status(ctx, sh, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if h == nil || h.Token != "tok-2" {
			t.Fatalf("round %d: the second holder's lock was removed: %+v", i, h)
		}
		if err := Release(ctx, sh, "shop", "tok-2"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAStaleGuardIsBroken(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	sh := shell{Home: home}
	if testing.Short() {
		t.Skip("waits for the guard's ten seconds")
	}
	// A guard left by a script that died with its host.
	if err := os.MkdirAll(home+"/.berth/locks/shop.guard", 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Acquire(ctx, sh, Info{Service: "shop", Who: "alice", Host: "h1", Token: "t"}); err != nil {
		t.Fatalf("acquire behind a stale guard: %v", err)
	}
	if _, err := os.Stat(home + "/.berth/locks/shop.guard"); err == nil {
		t.Error("the guard was left behind")
	}
}

// After --lock-wait ran out, the refusal says so rather than suggesting it.
func TestLockedErrorAfterWaiting(t *testing.T) {
	h := Holder{Info: Info{Who: "ann@ci"}, State: StateLive}
	if msg := (&LockedError{Holder: h}).Error(); !strings.Contains(msg, "or use --lock-wait DURATION") {
		t.Errorf("without waiting: %s", msg)
	}
	msg := (&LockedError{Holder: h, Waited: 90 * time.Second}).Error()
	if !strings.Contains(msg, "waited 1m30s for it; wait longer with --lock-wait") || strings.Contains(msg, "or use --lock-wait") {
		t.Errorf("after waiting: %s", msg)
	}
}
