package executor

import (
	"context"
	"strings"
)

// stopSignal is the stop signal the new container is created with: the
// configured stop_signal; else, when the role or accessory replaces the
// image's command (its own cmd on an image without ENTRYPOINT, or its own
// entrypoint), SIGTERM rather than the image's STOPSIGNAL, which is meant
// for the image's own command (nginx's SIGQUIT means nothing to a shell
// worker on the same image, which would wait for the kill at every
// stop); else "" (the image's STOPSIGNAL, else SIGTERM), as Docker does.
func (r *run) stopSignal(ctx context.Context, d Docker, b *branch) string {
	spec := b.change.Desired
	if spec.StopSignal != "" || b.change.Address.Proxy {
		return spec.StopSignal
	}
	ownEntrypoint := spec.Options != nil && len(spec.Options.Entrypoint) > 0
	if len(spec.Cmd) == 0 && !ownEntrypoint {
		return ""
	}
	img, err := r.image(ctx, d, b.change.Address.Host, spec.Image)
	if err != nil {
		return "" // the image's own, as before: not worth failing the create for
	}
	if img.StopSignal == "" || isTerm(img.StopSignal) || (len(img.Entrypoint) > 0 && !ownEntrypoint) {
		return ""
	}
	what := "cmd"
	if ownEntrypoint {
		what = "entrypoint"
	}
	r.rep.Event(b.addr(), "stop signal SIGTERM, not the image's STOPSIGNAL "+img.StopSignal+
		": its "+what+" replaces the image's own command (set stop_signal to choose)")
	return "SIGTERM"
}

func isTerm(sig string) bool {
	s := strings.TrimPrefix(strings.ToUpper(sig), "SIG")
	return s == "TERM" || s == "15"
}
