//go:build e2e

package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nsDir is where lab.sh keeps the hosts' mount and UTS namespaces.
const nsDir = "/run/berth-lab"

// dropRule is the packet-drop fault's iptables rule, inside the host's
// network namespace; the comment finds it again for the clean-up.
func dropRule(op string) []string {
	return []string{op, "INPUT", "-m", "statistic", "--mode", "random", "--probability", strconv.FormatFloat(DropRate, 'f', -1, 64),
		"-m", "comment", "--comment", "berth-chaos", "-j", "DROP"}
}

// fire fires r's fault (on r.Host, or on the apply) and returns how to
// restore it, nil when nothing needs restoring. Two applies are not
// fired here: the round starts the second one itself.
func (h *harness) fire(r Round, apply *proc) (func(context.Context) error, error) {
	var host string
	if r.Fault.OnHost() {
		host = h.labHost(r.Host).Lab
	}
	switch r.Fault {
	case LinkCut:
		veth := "v-" + host
		if err := command(context.Background(), "ip", "link", "set", veth, "down"); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return command(ctx, "ip", "link", "set", veth, "up") }, nil
	case PacketDrop:
		if err := h.iptables(context.Background(), host, dropRule("-A")...); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return h.iptables(ctx, host, dropRule("-D")...) }, nil
	case KillDockerd:
		if err := h.kill(host, "dockerd"); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return h.restartDaemon(ctx, host, "dockerd") }, nil
	case KillSSHD:
		if err := h.kill(host, "sshd"); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return h.restartDaemon(ctx, host, "sshd") }, nil
	case KillBerth:
		return nil, signalBerth(apply, syscall.SIGKILL)
	case SigintBerth:
		return nil, signalBerth(apply, syscall.SIGINT)
	case SigtermBerth:
		return nil, signalBerth(apply, syscall.SIGTERM)
	}
	return nil, nil
}

// signalBerth signals berth; one that has just ended is no error.
func signalBerth(p *proc, sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %s to berth: %w", sig, err)
	}
	return nil
}

func command(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// iptables runs iptables inside the lab host's network namespace.
func (h *harness) iptables(ctx context.Context, host string, args ...string) error {
	return command(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + host, "iptables"}, args...)...)
}

// netnsIno is the inode of a lab host's network namespace.
func netnsIno(host string) (uint64, error) {
	fi, err := os.Stat("/var/run/netns/" + host)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("no inode for %s", fi.Name())
	}
	return st.Ino, nil
}

// daemonPids finds the processes named comm that run in the lab host's
// network namespace: its dockerd, or its sshd with every connection's sshd
// (killing only the listening one would leave berth's connection alive).
func daemonPids(host, comm string) ([]int, error) {
	ino, err := netnsIno(host)
	if err != nil {
		return nil, err
	}
	want := fmt.Sprintf("net:[%d]", ino)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		c, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		if ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "net")); err == nil && ns == want {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// kill sends SIGKILL to the lab host's dockerd or sshd processes, found
// by their name and network namespace, each by its pid.
func (h *harness) kill(host, comm string) error {
	pids, err := daemonPids(host, comm)
	if err != nil {
		return err
	}
	if len(pids) == 0 {
		return fmt.Errorf("no %s runs on %s", comm, host)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill -9 %d (%s of %s): %w", pid, comm, host, err)
		}
	}
	// A killed daemon takes a moment to die; until then its pid file names
	// a live process and a restart "at once" would find nothing to restart.
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for running(pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("%s %d of %s does not die after kill -9", comm, pid, host)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// running reports whether pid is a process that has not exited (a zombie has).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// restartScript starts one lab host's dockerd or sshd again, the way
// test/lab/lab.sh does (its host_dockerd_up and host_sshd_up), under lab.sh's
// own lock, and only when it is not running: unlike `lab.sh up` it leaves
// every other host alone (other test runs may be cutting their links).
// Arguments: dockerd|sshd, the lab host, the lab folder, the namespaces' folder.
const restartScript = `set -eu
what=$1 name=$2 LAB_DIR=$3 NS_DIR=$4
D=$LAB_DIR/hosts/$name
enter="nsenter --net=/var/run/netns/$name --mount=$NS_DIR/$name.mnt --uts=$NS_DIR/$name.uts"
alive() {
	local pid s
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r /proc/$pid/stat ] || return 1
	s=$(cat /proc/$pid/stat 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$2" ]
}
cgroup() {
	local d=/sys/fs/cgroup/pids/berth-lab/$name
	[ ! -d "$d" ] || echo $BASHPID >"$d"/cgroup.procs
}
exec 9>/run/berth-lab.lock
flock -w 300 9
case $what in
dockerd)
	if ! alive "$D"/docker.pid dockerd; then
		f=$D/exec/containerd/containerd.pid
		if alive "$f" containerd; then
			kill -9 "$(cat "$f")" 2>/dev/null || true
			for _ in $(seq 50); do alive "$f" containerd || break; sleep 0.2; done
		fi
		rm -f "$f" "$D"/docker.pid "$D"/docker.sock
		(
			exec 9>&-
			cgroup
			exec setsid $enter /usr/sbin/dockerd --data-root /run/lab/data --exec-root /run/lab/exec \
				--pidfile /run/lab/docker.pid -H unix:///run/docker.sock -H unix:///run/lab/docker.sock \
				--insecure-registry 10.77.0.1:5000 --cgroup-parent /berth-lab/$name \
				</dev/null >>"$D"/dockerd.log 2>&1
		) &
	fi
	for _ in $(seq 300); do
		timeout 5 docker -H unix://"$D"/docker.sock version >/dev/null 2>&1 && exit 0
		sleep 0.2
	done
	echo "dockerd of $name did not start (see $D/dockerd.log)" >&2
	exit 1 ;;
sshd)
	if ! alive "$D"/sshd.pid sshd; then
		rm -f "$D"/sshd.pid
		(
			exec 9>&-
			cgroup
			exec setsid $enter /usr/sbin/sshd -f /run/lab/sshd_config -E /run/lab/sshd.log </dev/null >/dev/null 2>&1
		)
	fi
	for _ in $(seq 100); do
		alive "$D"/sshd.pid sshd && exit 0
		sleep 0.1
	done
	echo "sshd of $name did not start (see $D/sshd.log)" >&2
	exit 1 ;;
esac
`

// restartDaemon starts the lab host's dockerd or sshd again if it is not running.
func (h *harness) restartDaemon(ctx context.Context, host, what string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "-c", restartScript, "restart", what, host, h.lab.Dir, nsDir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("restart %s of %s: %w: %s", what, host, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// repair undoes every fault the harness can fire, on every host of the
// run, whatever state a round left: links up, drop rules removed, dockerd
// and sshd running.
func (h *harness) repair(ctx context.Context) error {
	var errs []error
	for _, name := range Hosts() {
		host := h.labHost(name).Lab
		if err := command(ctx, "ip", "link", "set", "v-"+host, "up"); err != nil {
			errs = append(errs, err)
		}
		for i := 0; i < 10; i++ { // every copy of the rule
			if h.iptables(ctx, host, dropRule("-D")...) != nil {
				break
			}
		}
		for _, d := range []string{"dockerd", "sshd"} {
			if err := h.restartDaemon(ctx, host, d); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
