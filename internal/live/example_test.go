package live_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/berth-sh/berth/internal/live"
	"github.com/berth-sh/berth/internal/sshx"
)

// Reading a host's containers of a service, then using the same connection
// for Docker operations. (Not run: it needs a host.)
func ExampleReader() {
	pool, err := sshx.NewPool(sshx.Options{
		Config: sshx.Config{User: "root", Port: 22, Identity: "/tmp/berth-lab/client/id_ed25519",
			KnownHosts: "/tmp/berth-lab/client/known_hosts", HostKeyPolicy: sshx.PolicyStrict,
			ConnectTimeout: 10 * time.Second, CommandTimeout: 5 * time.Minute},
		Hosts:   []sshx.Host{{Name: "h1", Address: "10.77.0.11"}},
		Environ: os.Environ(), // SSH_AUTH_SOCK, if any
	})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	r := live.NewReader(pool, nil)
	state, err := r.ReadState(ctx, "h1", "shop") // one SSH dial, one Engine API request
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range state.Containers {
		fmt.Println(c.Name, c.Role, c.Version, c.State, c.Health)
	}
	docker, err := r.Client(ctx, "h1") // the same connection
	if err != nil {
		log.Fatal(err)
	}
	if len(state.Containers) > 0 {
		out, err := docker.Logs(ctx, state.Containers[0].ID, 20)
		fmt.Println(string(out), err)
	}
}
