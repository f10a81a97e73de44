package executor

import (
	"testing"
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
