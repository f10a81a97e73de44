package sim

import (
	"sort"
	"strconv"
	"strings"
)

// Image tags with a behaviour of their own, for failure tests. Every other
// tag builds a container that starts and turns healthy at once.
const (
	// TagBroken builds a container that exits with code 1 as soon as it
	// starts.
	TagBroken = "broken"
	// TagHang builds a container that runs but whose health check command
	// (`/app check`) never succeeds, and whose HEALTHCHECK stays
	// "starting": it never turns healthy.
	TagHang = "hang"
)

// result is what a simulated program did.
type result struct {
	stdout, stderr string
	code           int
}

// daemon reports whether cmd is a long-running program: the image's own
// command (none given) or /app with anything but "check". A daemon runs
// until it is stopped; every other command runs at once (see run).
func daemon(cmd []string) bool {
	return len(cmd) == 0 || cmd[0] == "/app" && (len(cmd) < 2 || cmd[1] != "check")
}

// run simulates a short-lived program of a container made from image with
// env, given stdin. The programs:
//
//	/app check        exits 0 ("ok"), or 1 ("not ready") in a TagHang image
//	echo ARGS...      prints ARGS
//	env               prints the environment, sorted
//	cat               copies stdin to stdout
//	exit N            exits with status N
//	sh -c 'exit N'    the same, as a shell would
//	anything else     "CMD: not found" on stderr, status 127
func run(image string, cmd, env []string, stdin []byte) result {
	if len(cmd) == 3 && cmd[1] == "-c" && (cmd[0] == "sh" || cmd[0] == "/bin/sh") {
		cmd = strings.Fields(cmd[2])
	}
	if len(cmd) == 0 {
		return result{code: 0}
	}
	switch cmd[0] {
	case "/app":
		if tagOf(image) == TagHang {
			return result{stdout: "not ready\n", code: 1}
		}
		return result{stdout: "ok\n"}
	case "echo":
		return result{stdout: strings.Join(cmd[1:], " ") + "\n"}
	case "env":
		e := append([]string(nil), env...)
		sort.Strings(e)
		return result{stdout: strings.Join(e, "\n") + "\n"}
	case "cat":
		return result{stdout: string(stdin)}
	case "exit":
		if len(cmd) == 2 {
			if n, err := strconv.Atoi(cmd[1]); err == nil {
				return result{code: n}
			}
		}
	}
	return result{stderr: cmd[0] + ": not found\n", code: 127}
}

// tagOf is the tag of an image reference ("" without one).
func tagOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if i := strings.LastIndex(ref, ":"); i > slash {
		return ref[i+1:]
	}
	return ""
}
