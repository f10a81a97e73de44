package main

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/berth-sh/berth/executor/roster"
	"github.com/berth-sh/berth/test/sim"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// berth as main runs it: an interrupt, SIGTERM or SIGHUP cancels
		// the run, SIGPIPE is dropped.
		"berth": func() {
			ctx, stop := signals()
			code := run(ctx, os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ())
			stop()
			os.Exit(code)
		},
		// berth that ends its stderr with "exit status N", for scripts
		// that check a status other than 0 or 1.
		"berth-status": func() {
			ctx, stop := signals()
			code := run(ctx, os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ())
			stop()
			fmt.Fprintf(os.Stderr, "exit status %d\n", code)
			os.Exit(code)
		},
		// berth under the open files limit BERTH_TEST_NOFILE (soft and hard).
		"berth-nofile": func() {
			if err := setNoFile(os.Getenv("BERTH_TEST_NOFILE")); err != nil {
				fmt.Fprintln(os.Stderr, "berth-nofile:", err)
				os.Exit(3)
			}
			os.Exit(run(context.Background(), os.Args[1:], stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
		},
	})
}

// TestScripts runs the CLI scripts in testdata/script: each runs the real
// berth binary and checks its exit status, stdout, stderr and files. A
// script can bring up a simulated fleet with `sim N` and then change it
// and look into it with the other sim commands (see simCmds).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Values[simKey{}] = &simState{}
			return nil
		},
		Cmds: simCmds,
	})
}

// simCmds are the script commands of a simulated fleet:
//
//	sim [flags] N             start hosts h1 .. hN and a registry, write
//	                          berth.hcl, the SSH key and known_hosts
//	simconfig [flags]         write berth.hcl again, with other flags
//	                          (-proxy [-proxy-host NAME]: web behind the
//	                          proxy; -service S; -dir D: into ./D instead)
//	simhost HOST down|silent|up
//	                          make a host misbehave (sim.Fault), or not
//	simwait HOST PREFIX STATE wait (10s at most) until a container whose
//	                          name starts with PREFIX is in STATE on HOST
//	                          (running, exited, created, or gone: none is)
//	simps HOST                print HOST's containers ("NAME STATE TAG")
//	                          and volumes ("volume NAME") to stdout
//	simlatency D              every host answers each Docker request and
//	                          exec command D later
//	simapi HOST VERSION       HOST's daemon says it speaks Engine API VERSION
//	knownhosts MODE [HOST]    rewrite known_hosts (see knownHostsCmd)
//	sshagent                  serve the fleet's client key from an
//	                          ssh-agent on SSH_AUTH_SOCK
//	simcert NAME              write tls.crt and tls.key for NAME (and
//	                          ca.crt), for simconfig -proxy-tls
//	simfiles HOST             print the files copied into HOST's
//	                          containers ("MODE PATH")
//	simdockerd HOST PATH      serve HOST's Docker API on the unix socket
//	                          PATH too, as a local daemon
//	simpeak                   print "peak N": the most SSH connections
//	                          open at once since the last simpeak
var simCmds = map[string]func(*testscript.TestScript, bool, []string){
	"sim": simCmd, "simconfig": simConfigCmd, "simhost": simHostCmd, "simwait": simWaitCmd,
	"simps": simPsCmd, "simrun": simRunCmd, "simroute": simRouteCmd, "simnet": simNetCmd, "simlatency": simLatencyCmd,
	"simapi": simAPICmd, "simroster": simRosterCmd, "knownhosts": knownHostsCmd, "sshagent": sshAgentCmd,
	"simcert": simCertCmd, "simfiles": simFilesCmd, "simdockerd": simDockerdCmd, "simpeak": simPeakCmd,
}

type simKey struct{}

// simState is the fleet of one script.
type simState struct {
	fleet          *sim.Fleet
	reg            *sim.Registry
	dir            string
	identity, khts string
	localPort      int // of -local-registry
}

func state(ts *testscript.TestScript) *simState {
	return ts.Value(simKey{}).(*simState)
}

func fleetOf(ts *testscript.TestScript) *simState {
	s := state(ts)
	if s.fleet == nil {
		ts.Fatalf("no fleet: run sim N first")
	}
	return s
}

// RegistryUser and RegistryPassword are the login of a registry started
// with -registry-auth.
const (
	RegistryUser     = "sim"
	RegistryPassword = "sim-secret"
)

// configFlags parses the flags of sim and simconfig:
//
//	-hosts h1,h2        declare only these hosts of the fleet
//	-accessory          add accessory "db" with volume sim-data on the first
//	-deadline D         the web role's healthcheck deadline
//	-batch N            deploy.rolling.batch
//	-policy P           ssh.known_hosts_policy
//	-jump J             ssh.proxy_jump; "HOST" is that sim host's address
//	-connect-timeout D  ssh.connect_timeout
//	-command-timeout D  ssh.command_timeout
//	-login USER         registry username (password: $SIM_REGISTRY_PASSWORD)
//	-registry-auth basic|bearer
//	                    the registry asks for RegistryUser, RegistryPassword
//	-build DIR          a build block with context DIR
//	-builder HOST       its builder { host }: a sim host's name, or an address
//	-build-secrets A,B  its secrets, from the environment variables A and B
//	-build-args K=V,..  its args
//	-local-registry     registry { local = true } on a free port
//
// where says where writeConfig writes berth.hcl and which registry
// authentication it sets up.
type where struct {
	auth, dir string
	local     bool // registry { local = true } on a free port (the same for the whole script)
}

func configFlags(ts *testscript.TestScript, name string, args []string) (sim.ConfigOptions, where, []string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var o sim.ConfigOptions
	var hosts string
	var w where
	fs.StringVar(&hosts, "hosts", "", "")
	fs.BoolVar(&o.Accessory, "accessory", false, "")
	fs.StringVar(&o.HealthDeadline, "deadline", "", "")
	fs.IntVar(&o.Batch, "batch", 0, "")
	fs.StringVar(&o.KnownHostsPolicy, "policy", "", "")
	fs.StringVar(&o.ProxyJump, "jump", "", "")
	fs.StringVar(&o.ConnectTimeout, "connect-timeout", "", "")
	fs.StringVar(&o.CommandTimeout, "command-timeout", "", "")
	fs.StringVar(&o.RegistryUsername, "login", "", "")
	fs.StringVar(&w.auth, "registry-auth", "", "")
	fs.StringVar(&o.SSHConfig, "ssh-config", "", "")
	fs.BoolVar(&o.Proxy, "proxy", false, "")
	fs.StringVar(&o.ProxyHost, "proxy-host", "", "")
	fs.BoolVar(&o.ProxyTLS, "proxy-tls", false, "")
	fs.StringVar(&o.Service, "service", "", "")
	fs.StringVar(&w.dir, "dir", "", "")
	fs.BoolVar(&o.Takeover, "takeover", false, "")
	fs.StringVar(&o.BuildContext, "build", "", "")
	fs.StringVar(&o.Builder, "builder", "", "")
	var secrets, buildArgs string
	fs.StringVar(&secrets, "build-secrets", "", "")
	fs.StringVar(&buildArgs, "build-args", "", "")
	fs.BoolVar(&w.local, "local-registry", false, "")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("%s: %v", name, err)
	}
	if hosts != "" {
		o.Hosts = strings.Split(hosts, ",")
	}
	if secrets != "" {
		o.BuildSecrets = strings.Split(secrets, ",")
	}
	if buildArgs != "" {
		o.BuildArgs = strings.Split(buildArgs, ",")
	}
	return o, w, fs.Args()
}

// simCmd is `sim [flags] N`: N simulated hosts (test/sim: in-process SSH
// servers with an in-memory Docker Engine API, h1 .. hN on 127.0.0.1)
// and a registry with app:v1, v2, v3, broken and hang (see sim.TagBroken,
// sim.TagHang) and db:1, for the rest of the script. It writes berth.hcl
// (service "sim": web on every host, h1 its primary, and a worker), the
// SSH key and known_hosts into the working directory, and sets SIM_H1 ..
// SIM_HN to the hosts' addresses and SIM_REGISTRY to the registry's.
func simCmd(ts *testscript.TestScript, neg bool, args []string) {
	o, auth, rest := configFlags(ts, "sim", args)
	if neg || len(rest) != 1 {
		ts.Fatalf("usage: sim [flags] N")
	}
	n, err := strconv.Atoi(rest[0])
	if err != nil || n < 1 {
		ts.Fatalf("sim: %q is not a number of hosts", rest[0])
	}
	s := state(ts)
	if s.fleet != nil {
		ts.Fatalf("sim: the script has a fleet already")
	}
	fleet, err := sim.Start(sim.Options{Hosts: n})
	if err != nil {
		ts.Fatalf("sim: %v", err)
	}
	ts.Defer(fleet.Close)
	reg := sim.StartRegistry()
	ts.Defer(reg.Close)
	for _, v := range []string{"v1", "v2", "v3", sim.TagBroken, sim.TagHang} {
		reg.Push("app", v)
	}
	reg.Push("db", "1")
	reg.Push("kamal-proxy", "v0.9.2")
	fleet.UseRegistry(reg)
	for _, h := range fleet.Hosts {
		ts.Setenv("SIM_"+strings.ToUpper(h.Name), h.Addr()) // SIM_H1=127.0.0.1:PORT
	}
	ts.Setenv("SIM_REGISTRY", reg.Host())
	s.fleet, s.reg, s.dir = fleet, reg, ts.MkAbs(".")
	if s.identity, s.khts, err = fleet.WriteClientFiles(s.dir); err != nil {
		ts.Fatalf("sim: %v", err)
	}
	writeConfig(ts, s, o, auth)
}

// simConfigCmd is `simconfig [flags]`: berth.hcl again, for the same fleet.
func simConfigCmd(ts *testscript.TestScript, neg bool, args []string) {
	o, auth, rest := configFlags(ts, "simconfig", args)
	if neg || len(rest) != 0 {
		ts.Fatalf("usage: simconfig [flags]")
	}
	writeConfig(ts, fleetOf(ts), o, auth)
}

func writeConfig(ts *testscript.TestScript, s *simState, o sim.ConfigOptions, w where) {
	switch auth := w.auth; auth {
	case "":
	case "basic", "bearer":
		s.reg.SetAuth(sim.RegistryAuth{Username: RegistryUser, Password: RegistryPassword, Bearer: auth == "bearer"})
	default:
		ts.Fatalf("-registry-auth %q: want basic or bearer", auth)
	}
	if h := s.fleet.Host(o.ProxyJump); h != nil {
		o.ProxyJump = h.Addr()
	}
	o.Registry, o.Identity, o.KnownHosts = s.reg.Host(), s.identity, s.khts
	if w.local {
		if s.localPort == 0 {
			s.localPort = freePort(ts)
		}
		o.LocalRegistry = s.localPort
	}
	dir := s.dir
	if w.dir != "" {
		dir = filepath.Join(s.dir, w.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			ts.Fatalf("sim: %v", err)
		}
	}
	if err := s.fleet.WriteConfig(dir, o); err != nil {
		ts.Fatalf("sim: %v", err)
	}
}

func host(ts *testscript.TestScript, name string) *sim.Host {
	h := fleetOf(ts).fleet.Host(name)
	if h == nil {
		ts.Fatalf("no host %q in the fleet", name)
	}
	return h
}

// simHostCmd is `simhost HOST down|silent|up`.
func simHostCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: simhost HOST down|silent|up")
	}
	faults := map[string]sim.Fault{"down": sim.FaultDown, "silent": sim.FaultSilent, "up": sim.FaultNone}
	f, ok := faults[args[1]]
	if !ok {
		ts.Fatalf("simhost: %q is not down, silent or up", args[1])
	}
	host(ts, args[0]).SetFault(f)
}

func containerState(c sim.Container) string {
	switch {
	case c.Running:
		return "running"
	case c.StartedAt.IsZero():
		return "created"
	}
	return "exited"
}

// simWaitCmd is `simwait HOST PREFIX STATE`: it polls the host's
// containers until one named PREFIX... is in STATE ("gone": until none
// is), for 10s at most.
func simWaitCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: simwait HOST PREFIX running|exited|created|gone")
	}
	h, prefix, want := host(ts, args[0]), args[1], args[2]
	deadline := time.Now().Add(10 * time.Second)
	for {
		found := false
		for _, c := range h.Docker.Containers() {
			if strings.HasPrefix(c.Name, prefix) && (want == "gone" || containerState(c) == want) {
				found = true
			}
		}
		if found == (want != "gone") {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("simwait: no container %s* %s on %s after 10s", prefix, want, h.Name)
		}
		time.Sleep(10 * time.Millisecond) // a poll interval, not a synchronisation
	}
}

// simLatencyCmd is `simlatency D`.
func simLatencyCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: simlatency DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("simlatency: %v", err)
	}
	fleetOf(ts).fleet.SetLatency(d)
}

// simAPICmd is `simapi HOST VERSION`.
func simAPICmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: simapi HOST VERSION")
	}
	host(ts, args[0]).Docker.SetAPIVersion(args[1])
}

// simRunCmd is `simrun HOST NAME IMAGE running|exited [LABEL=VALUE...]`:
// a container another tool started (Kamal's, with its labels). IMAGE is
// a repository of the registry ("app:v1") or any reference.
func simRunCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 || args[3] != "running" && args[3] != "exited" {
		ts.Fatalf("usage: simrun HOST NAME IMAGE running|exited [LABEL=VALUE...]")
	}
	labels := map[string]string{}
	for _, kv := range args[4:] {
		k, v, _ := strings.Cut(kv, "=")
		labels[k] = v
	}
	image := args[2]
	if !strings.Contains(image, "/") {
		image = fleetOf(ts).reg.Host() + "/" + image
	}
	host(ts, args[0]).Docker.Run(args[1], image, labels, args[3] == "running")
}

// simRouteCmd is `simroute HOST NAME TARGET`: the host's simulated
// kamal-proxy routes NAME to TARGET (NAME:PORT), as Kamal's deploy does.
func simRouteCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: simroute HOST NAME TARGET")
	}
	if err := host(ts, args[0]).Docker.ProxyDeploy(args[1], args[2]); err != nil {
		ts.Fatalf("simroute: %v", err)
	}
}

// simNetCmd is `simnet HOST NAME`: a Docker network another tool made.
func simNetCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: simnet HOST NAME")
	}
	host(ts, args[0]).Docker.AddNetwork(args[1])
}

// simPsCmd is `simps HOST`.
func simPsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: simps HOST")
	}
	h := host(ts, args[0])
	w := ts.Stdout()
	for _, c := range h.Docker.Containers() {
		ref, _, _ := strings.Cut(c.Image, "@")
		tag := "-"
		if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			tag = ref[i+1:]
		}
		fmt.Fprintf(w, "%s %s %s\n", c.Name, containerState(c), tag)
	}
	for _, v := range h.Docker.Volumes() {
		fmt.Fprintf(w, "volume %s\n", v)
	}
}

// simRosterCmd is `simroster HOST`: "whole N" for a roster that lists N
// hosts, "stub KEEPER,..." for one that names its keepers, one line per
// roster file on the host.
func simRosterCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: simroster HOST")
	}
	files := host(ts, args[0]).Rosters()
	for _, path := range slices.Sorted(maps.Keys(files)) {
		ro, err := roster.Decode([]byte(files[path]), path)
		ts.Check(err)
		if ro.Stub() {
			var names []string
			for _, k := range ro.Keepers {
				names = append(names, k.Name)
			}
			fmt.Fprintf(ts.Stdout(), "stub %s\n", strings.Join(names, ","))
		} else {
			fmt.Fprintf(ts.Stdout(), "whole %d\n", len(ro.Hosts))
		}
	}
}

// knownHostsCmd is `knownhosts MODE [HOST]`; it rewrites the known_hosts
// sim wrote (one line per host, "[127.0.0.1]:PORT KEY"):
//
//	reset             as sim wrote it
//	hashed            every line hashed, as HashKnownHosts does
//	wildcard          one line per key with the pattern [127.0.0.?]:PORT,
//	                  after a comment, a blank line and a line for another
//	                  host that excludes this one (!pattern)
//	drop HOST         without HOST's line
//	mismatch HOST     HOST's line with another key
//	revoke HOST       HOST's key marked @revoked as well
func knownHostsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: knownhosts reset|hashed|wildcard|drop|mismatch|revoke [HOST]")
	}
	s := fleetOf(ts)
	if args[0] == "reset" {
		if _, _, err := s.fleet.WriteClientFiles(s.dir); err != nil {
			ts.Fatalf("knownhosts: %v", err)
		}
		return
	}
	var target string
	if len(args) == 2 {
		target = host(ts, args[1]).Addr()
	}
	b, err := os.ReadFile(s.khts)
	if err != nil {
		ts.Fatalf("knownhosts: %v", err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		pattern, key, _ := strings.Cut(line, " ")
		addr := strings.NewReplacer("[", "", "]", "").Replace(pattern)
		this := addr == target
		switch args[0] {
		case "hashed":
			salt := make([]byte, 20)
			_, _ = rand.Read(salt)
			mac := hmac.New(sha1.New, salt)
			mac.Write([]byte(pattern))
			out = append(out, "|1|"+base64.StdEncoding.EncodeToString(salt)+"|"+base64.StdEncoding.EncodeToString(mac.Sum(nil))+" "+key)
		case "wildcard":
			_, port, _ := net.SplitHostPort(addr)
			out = append(out, "# "+pattern, "", "[example.com]:"+port+",![127.0.0.1]:"+port+" "+key, "[127.0.0.?]:"+port+" "+key)
		case "drop":
			if !this {
				out = append(out, line)
			}
		case "mismatch":
			if this {
				key = otherKey(ts)
			}
			out = append(out, pattern+" "+key)
		case "revoke":
			out = append(out, line)
			if this {
				out = append(out, "@revoked "+line)
			}
		default:
			ts.Fatalf("knownhosts: unknown mode %q", args[0])
		}
	}
	if err := os.WriteFile(s.khts, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		ts.Fatalf("knownhosts: %v", err)
	}
}

func otherKey(ts *testscript.TestScript) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		ts.Fatalf("knownhosts: %v", err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		ts.Fatalf("knownhosts: %v", err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// sshAgentCmd is `sshagent`: an ssh-agent holding the fleet's client key
// for the rest of the script, on a socket in $WORK named by SSH_AUTH_SOCK.
func sshAgentCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: sshagent")
	}
	s := fleetOf(ts)
	pem, err := os.ReadFile(s.identity)
	if err != nil {
		ts.Fatalf("sshagent: %v", err)
	}
	key, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		ts.Fatalf("sshagent: %v", err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		ts.Fatalf("sshagent: %v", err)
	}
	// A short path: unix socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		ts.Fatalf("sshagent: %v", err)
	}
	sock := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		ts.Fatalf("sshagent: %v", err)
	}
	ts.Defer(func() { _ = ln.Close(); _ = os.RemoveAll(dir) })
	go func() {
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue
			}
			go func() { _ = agent.ServeAgent(keyring, c); _ = c.Close() }()
		}
	}()
	ts.Setenv("SSH_AUTH_SOCK", sock)
}
