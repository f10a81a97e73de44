package executor

import (
	"context"
	"strings"
	"testing"
	"time"
)

// signals maps each container name on host to the stop signal it was
// created with.
func (f *fleet) signals(host string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, c := range f.hosts[host].containers {
		out[c.name] = c.stopSignal
	}
	return out
}

func TestARoleThatReplacesTheImagesCommandStopsWithSIGTERM(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	cfg := config("quit") // the image's STOPSIGNAL is SIGQUIT
	cfg.Roles[0].Cmd = nil
	cfg.Roles = append(cfg.Roles, cfg.Roles[1])
	cfg.Roles[2].Name = "mailer"
	cfg.Roles[2].Stop.Signal = "SIGUSR1"
	mustApply(t, f, cfg)
	for name, want := range map[string]string{
		"shop-web-quit":    "",        // the image's own command: its own signal
		"shop-worker-quit": "SIGTERM", // its own cmd: SIGQUIT is not for it
		"shop-mailer-quit": "SIGUSR1", // stop_signal wins
	} {
		host := "h3"
		if name == "shop-web-quit" {
			host = "h1"
		}
		if got := f.signals(host)[name]; got != want {
			t.Errorf("%s created with stop signal %q, want %q", name, got, want)
		}
	}
}

func TestACmdBehindTheImagesEntrypointKeepsItsSignal(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	mustApply(t, f, config("wrapped")) // ENTRYPOINT and STOPSIGNAL SIGQUIT
	if got := f.signals("h3")["shop-worker-wrapped"]; got != "" {
		t.Errorf("the worker's cmd runs behind the image's entrypoint, yet its stop signal is %q", got)
	}
}

// The roles of a host share one look at their image: the pull step's and
// the create's (its STOPSIGNAL) are one request, and so are those of the
// roles beside them.
func TestAHostIsAskedOfAnImageOnce(t *testing.T) {
	f := newFleet("h1", "h2", "h3")
	cfg := config("quit")
	mailer := cfg.Roles[1]
	mailer.Name = "mailer"
	cfg.Roles = append(cfg.Roles, mailer) // worker and mailer on h3, each with its own cmd
	p := plan(t, f, cfg)
	var ref string
	for _, c := range p.Changes {
		if c.Address.Host == "h3" {
			ref = c.Desired.Image
		}
	}
	h3 := f.hosts["h3"]
	h3.pulled = map[string]bool{ref: true} // on the host already, as on a redeploy
	if _, err := Apply(context.Background(), p, cfg, f, Options{Poll: 5 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if n := h3.inspects[ref]; n != 1 {
		t.Errorf("h3 was asked of %s %d times, want once for its two roles' pulls and creates", ref, n)
	}
	for _, e := range f.events {
		if strings.HasPrefix(e, "h3 pull") {
			t.Errorf("h3 had the image, yet: %s", e)
		}
	}
	if got := f.signals("h3"); got["shop-worker-quit"] != "SIGTERM" || got["shop-mailer-quit"] != "SIGTERM" {
		t.Errorf("stop signals on h3 = %v, want SIGTERM for both (each replaces the image's command)", got)
	}
}
