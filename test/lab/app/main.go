// Command app is the workload baked into every test image of berth's lab.
//
// One static binary, its version and behaviour fixed at link time with
//
//	-ldflags "-X main.version=v1 -X main.mode=good"
//
// Subcommands:
//
//	app serve   HTTP on :8080 (env PORT overrides); GET /up answers 200 and
//	            the version when healthy; logs a line on start and per request
//	app check   exits 0 iff the local /up answers 200 (for health checks)
//	app work    runs until SIGTERM, logging a line per second
//	app cache   a tiny line-based TCP server on :6379 (env PORT overrides)
//	app version prints the version
//
// Modes: "good"; "broken" exits 1 at once whatever it is asked; "unhealthy"
// runs but /up never answers 200; "slow" answers 200 on /up only about five
// seconds after start. Every long-running subcommand exits promptly on
// SIGTERM or SIGINT.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Set at link time.
var (
	version = "dev"
	mode    = "good"
)

// slowStart is how long a "slow" build takes to turn healthy.
const slowStart = 5 * time.Second

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.SetPrefix("app " + version + ": ")
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if mode == "broken" && cmd != "version" {
		log.Printf("broken build: %s exits at once", cmd)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, port("8080"))
	case "check":
		err = check(port("8080"))
	case "work":
		err = work(ctx)
	case "cache":
		err = cache(ctx, port("6379"))
	case "version":
		fmt.Println(version)
	default:
		err = fmt.Errorf("unknown subcommand %q (serve, check, work, cache, version)", cmd)
	}
	if err != nil {
		log.Print(err)
		return 1
	}
	return 0
}

func port(def string) string {
	if p := os.Getenv("PORT"); p != "" {
		return p
	}
	return def
}

// healthy reports whether /up should answer 200 at time now.
func healthy(started, now time.Time) bool {
	switch mode {
	case "unhealthy":
		return false
	case "slow":
		return now.Sub(started) >= slowStart
	}
	return true
}

func handler(started time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/up", func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusOK
		if !healthy(started, time.Now()) {
			code = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(code)
		if code == http.StatusOK {
			fmt.Fprint(w, version)
		} else {
			fmt.Fprintf(w, "%s not ready (%s)", version, mode)
		}
		log.Printf("%s %s %d from %s", r.Method, r.URL.Path, code, r.RemoteAddr)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s\n", version)
		log.Printf("%s %s 200 from %s", r.Method, r.URL.Path, r.RemoteAddr)
	})
	return mux
}

func serve(ctx context.Context, port string) error {
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           handler(time.Now()),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	log.Printf("serving on :%s (mode %s)", port, mode)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Print("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func check(port string) error {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + port + "/up")
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("check: /up answered %s", resp.Status)
	}
	return nil
}

func work(ctx context.Context) error {
	log.Printf("working (mode %s)", mode)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			log.Print("stopping")
			return nil
		case <-t.C:
			log.Printf("tick %d", n)
		}
	}
}

// cache answers one line per line: PING -> +PONG, VERSION -> the version,
// QUIT closes the connection, anything else -> -ERR.
func cache(ctx context.Context, port string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", ":"+port)
	if err != nil {
		return err
	}
	log.Printf("cache listening on :%s", port)
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				log.Print("stopping")
				return nil
			}
			return err
		}
		go answer(conn)
	}
}

func answer(conn net.Conn) {
	defer conn.Close()
	log.Printf("connection from %s", conn.RemoteAddr())
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		switch strings.ToUpper(strings.TrimSpace(sc.Text())) {
		case "PING":
			fmt.Fprint(conn, "+PONG\r\n")
		case "VERSION":
			fmt.Fprintf(conn, "+%s\r\n", version)
		case "QUIT":
			fmt.Fprint(conn, "+OK\r\n")
			return
		default:
			fmt.Fprint(conn, "-ERR unknown command\r\n")
		}
	}
}
