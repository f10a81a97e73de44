//go:build e2e

package e2e

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/berth-sh/berth/internal/deploy"
	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/registry"
	"github.com/berth-sh/berth/internal/sshx"
	"github.com/berth-sh/berth/lang"
	"github.com/berth-sh/berth/planner"
)

// BenchmarkPlanLab measures planning the 3 lab hosts:
//
//	go test -tags e2e -run '^$' -bench PlanLab -benchtime 20x ./test/e2e/
//
// cold: a new run (SSH handshakes, registry lookup, one state read per
// host). warm: over open connections, digests known: what planning costs
// after the handshake. ssh-roundtrip: one `true` per host in parallel over
// the same open connections, the floor a warm plan is compared with.
func BenchmarkPlanLab(b *testing.B) {
	l := Lab(b)
	ctx := context.Background()
	dir := l.WriteConfig(b, appConfig(l, UniqueName("bench-plan"), "v1", ""))
	res := lang.Load(ctx, lang.Options{Dir: dir, Environ: append(os.Environ(), "REGISTRY_PASSWORD="+l.RegistryPassword)})
	if res.Diags.HasErrors() {
		b.Fatal(res.Diags)
	}
	cfg := res.Config
	newPool := func() *sshx.Pool {
		p, err := sshx.NewPool(sshx.Options{Config: sshx.Config(cfg.SSH), Hosts: deploy.SSHHosts(cfg.Hosts), Environ: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	build := func(p *sshx.Pool, r *registry.Resolver) {
		if _, err := planner.Build(ctx, cfg, planner.Deps{State: live.NewReader(p, nil), Digests: r}, planner.Options{}); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			p := newPool()
			build(p, deploy.NewResolver(cfg.Registry))
			p.Close()
		}
	})

	p := newPool()
	defer p.Close()
	reader := live.NewReader(p, nil)
	resolver := deploy.NewResolver(cfg.Registry)
	build(p, resolver) // dial and resolve once
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			if _, err := planner.Build(ctx, cfg, planner.Deps{State: reader, Digests: resolver}, planner.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ssh-roundtrip", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for _, h := range cfg.Hosts {
				wg.Go(func() {
					c, err := p.Conn(ctx, h.Name)
					if err == nil {
						_, err = c.Run(ctx, "true", nil)
					}
					if err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
	})
	if p.Dials() != len(cfg.Hosts) {
		b.Errorf("%d SSH dials for %d hosts", p.Dials(), len(cfg.Hosts))
	}
}
