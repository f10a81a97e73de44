#!/usr/bin/env bash
# lab.sh: berth's test lab, real Linux hosts on one machine.
#
#   bash test/lab/lab.sh up [N]   # N hosts (default 3); idempotent, repairs what is broken
#   bash test/lab/lab.sh down     # removes every namespace, link, mount and process of the lab
#   bash test/lab/lab.sh status   # one line per lab daemon
#
# Each host hI (I = 1..N) is a network namespace on the bridge br-lab at
# 10.77.0.(10+I), plus its own mount and UTS namespace (own hostname, /root,
# /run, /tmp, /var/lib, /var/log, /etc/docker) in which run its own dockerd
# (socket at the standard /var/run/docker.sock) and its own sshd (root, key
# only, own host key). In the root namespace run a registry on 10.77.0.1:5000
# (plain http, htpasswd login) and a build daemon that builds and pushes the
# test images (test/lab/app), kamal-proxy, and nginx, PostgreSQL and Redis
# from Debian's packages (debian-images.sh) when the registry lacks them.
#
# Everything a client needs lands in $BERTH_LAB_DIR/client (default
# /tmp/berth-lab/client). Nothing listens outside the bridge and loopback,
# and the hosts have no route beyond the bridge.
set -euo pipefail

LAB_DIR=${BERTH_LAB_DIR:-/tmp/berth-lab}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NS_DIR=/run/berth-lab        # persistent mount+UTS namespaces of the hosts (a private mount)
CG_NAME=berth-lab            # cgroup (v1 pids hierarchy) holding every lab process
BRIDGE=br-lab
NET=10.77.0
GW=$NET.1
REGISTRY=$GW:5000
REGISTRY_USER=deploy
DOCKER=/usr/bin/docker       # Debian's CLI, the daemons' own version
DOCKERD=/usr/sbin/dockerd
SSHD=/usr/sbin/sshd
PACKAGES=(docker.io openssh-server docker-registry apache2-utils iproute2 curl debootstrap)

LOCK=/run/berth-lab.lock     # one lab.sh at a time
ACTIVE=$NS_DIR/lab_dir       # the folder of the lab that is up

set_dirs() {
	CLIENT=$LAB_DIR/client
	KEYS=$LAB_DIR/keys
	BUILD=$LAB_DIR/build
	REG_DIR=$LAB_DIR/registry
}
set_dirs
# go builds the test images; without HOME it needs to be told where to cache.
[ -n "${HOME:-}" ] || [ -n "${GOCACHE:-}" ] || export GOCACHE=/root/.cache/go-build

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]} (once)"
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	mkdir -p "$LAB_DIR"
	local apt_log=$LAB_DIR/apt.log
	apt-get update -qq >"$apt_log" 2>&1 || { tail -20 "$apt_log" >&2; die "apt-get update failed"; }
	# policy-rc.d keeps the packages' own daemons from starting: the lab runs its own.
	local prc=/usr/sbin/policy-rc.d created=0
	if [ ! -e $prc ]; then printf '#!/bin/sh\nexit 101\n' >$prc; chmod +x $prc; created=1; fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$apt_log" 2>&1 || {
		[ $created = 1 ] && rm -f $prc
		tail -20 "$apt_log" >&2
		die "apt-get install ${missing[*]} failed"
	}
	[ $created = 1 ] && rm -f $prc
	return 0
}

# alive PIDFILE [COMM]: the pid in PIDFILE runs (and is COMM).
alive() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r /proc/"$pid"/stat ] || return 1
	# A zombie (killed, not yet reaped) is not alive.
	local stat; stat=$(cat /proc/"$pid"/stat 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ] || return 1
	[ -z "${2:-}" ] || [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$2" ]
}

# kill_pidfile PIDFILE [COMM]: SIGKILL the daemon named by PIDFILE, if it runs.
kill_pidfile() {
	if alive "$@"; then kill -9 "$(cat "$1")" 2>/dev/null || true; fi
	rm -f "$1"
}

# drop_containerd EXECROOT: before dockerd starts again, end the containerd a
# killed dockerd left behind and drop its pid file: dockerd waits for a
# containerd that "is still running" when the pid file names a zombie.
drop_containerd() {
	local f=$1/containerd/containerd.pid pid
	if alive "$f" containerd; then
		pid=$(cat "$f")
		kill -9 "$pid" 2>/dev/null || true
		wait_for 10 eval '! alive "$f" containerd' || true
	fi
	rm -f "$f"
}

# wait_for SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

cg_dir() { echo /sys/fs/cgroup/pids/$CG_NAME/$1; }

# daemon_prep UNIT: in the subshell that becomes a daemon, let go of the lock
# and move into the lab's cgroup for UNIT, so that lab-down finds every
# process it starts, containers included.
daemon_prep() {
	exec 9>&-
	local d; d=$(cg_dir "$1")
	[ -d /sys/fs/cgroup/pids ] || return 0
	mkdir -p "$d" && echo $BASHPID >"$d"/cgroup.procs
}

# cg_kill UNIT: SIGKILL every process in UNIT's cgroups, then remove them.
cg_kill() {
	local h d pids tries=0
	for h in /sys/fs/cgroup/*/; do
		d=$h$CG_NAME/$1
		[ -d "$d" ] || continue
		while pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null) && [ -n "$pids" ]; do
			kill -9 $pids 2>/dev/null || true
			tries=$((tries + 1)); [ $tries -lt 100 ] || { log "cannot empty cgroup $d"; break; }
			sleep 0.05
		done
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

gen_secret() { head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-24; }

# ---------------------------------------------------------------- client files

client_files() {
	mkdir -p "$CLIENT" "$KEYS"
	chmod 700 "$CLIENT" "$KEYS"
	[ -f "$CLIENT"/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -C berth-lab -f "$CLIENT"/id_ed25519
	[ -s "$CLIENT"/registry_password ] || (umask 077; gen_secret >"$CLIENT"/registry_password)
	echo "$REGISTRY_USER" >"$CLIENT"/registry_user
}

write_client_index() {
	local n=$1 i name
	: >"$CLIENT"/hosts.new
	: >"$CLIENT"/known_hosts.new
	for ((i = 1; i <= n; i++)); do
		name=h$i
		echo "$name $NET.$((10 + i))" >>"$CLIENT"/hosts.new
		echo "$NET.$((10 + i)) $(cut -d' ' -f1,2 "$KEYS"/$name.pub)" >>"$CLIENT"/known_hosts.new
	done
	mv "$CLIENT"/hosts.new "$CLIENT"/hosts
	mv "$CLIENT"/known_hosts.new "$CLIENT"/known_hosts
	(
		umask 077
		cat >"$CLIENT"/env <<EOF
# berth lab: source this file (. $CLIENT/env)
export BERTH_LAB_DIR='$LAB_DIR'
export BERTH_LAB_HOSTS='$(cut -d' ' -f2 "$CLIENT"/hosts | paste -sd' ')'
export BERTH_LAB_SSH_KEY='$CLIENT/id_ed25519'
export BERTH_LAB_KNOWN_HOSTS='$CLIENT/known_hosts'
export BERTH_LAB_REGISTRY='$REGISTRY'
export BERTH_LAB_BUILD_HOST='unix://$BUILD/docker.sock'
export REGISTRY_USER='$REGISTRY_USER'
export REGISTRY_PASSWORD='$(cat "$CLIENT"/registry_password)'
EOF
	)
}

# ---------------------------------------------------------------- bridge

bridge_up() {
	if ! ip -br addr show dev $BRIDGE 2>/dev/null | grep -q "$GW/24"; then
		ip link del $BRIDGE 2>/dev/null || true
		ip link add $BRIDGE type bridge
		ip addr add $GW/24 dev $BRIDGE
	fi
	ip link set $BRIDGE up
}

ns_dir_up() {
	mkdir -p $NS_DIR
	if ! mountpoint -q $NS_DIR; then mount --bind $NS_DIR $NS_DIR; fi
	mount --make-private $NS_DIR
}

# ---------------------------------------------------------------- hosts

host_paths() {
	name=$1
	idx=${name#h}
	addr=$NET.$((10 + idx))
	D=$LAB_DIR/hosts/$name
	NETNS=/var/run/netns/$name
	MNTNS=$NS_DIR/$name.mnt
	UTSNS=$NS_DIR/$name.uts
}

host_net_ok() {
	[ -e "$NETNS" ] &&
		ip -n "$name" -br addr show dev eth0 2>/dev/null | grep -q " UP .*$addr/24" &&
		ip -br link show dev "v-$name" 2>/dev/null | grep -q '^v-'"$name"'@.* UP ' &&
		ip link show dev "v-$name" 2>/dev/null | grep -q "master $BRIDGE"
}

host_ns_ok() {
	[ -d "$D"/root ] && nsenter --mount="$MNTNS" --uts="$UTSNS" sh -c \
		"[ \"\$(hostname)\" = $name ] && [ -d /run/lab/root ] && [ -d /run/sshd ]" 2>/dev/null
}

host_dockerd_ok() {
	alive "$D"/docker.pid dockerd && timeout 5 $DOCKER -H unix://"$D"/docker.sock version >/dev/null 2>&1
}

host_sshd_ok() {
	alive "$D"/sshd.pid sshd &&
		timeout 5 ssh -n -q -i "$CLIENT"/id_ed25519 -o BatchMode=yes -o IdentitiesOnly=yes \
			-o UserKnownHostsFile="$KEYS"/known_hosts.$name -o StrictHostKeyChecking=yes \
			-o ConnectTimeout=3 root@"$addr" "test \$(hostname) = $name" 2>/dev/null
}

# host_down NAME: kill every process of the host, drop its namespaces and state.
host_down() {
	host_paths "$1"
	kill_pidfile "$D"/sshd.pid sshd
	kill_pidfile "$D"/docker.pid dockerd
	cg_kill "$name"
	if [ -e "$NETNS" ]; then
		local pids; pids=$(ip netns pids "$name" 2>/dev/null || true)
		[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
	fi
	umount "$MNTNS" 2>/dev/null || true
	umount "$UTSNS" 2>/dev/null || true
	rm -f "$MNTNS" "$UTSNS"
	ip netns del "$name" 2>/dev/null || true
	ip link del "v-$name" 2>/dev/null || true
	rm -rf "$D"
}

host_setup_dirs() {
	mkdir -p "$D"/{root/.ssh,tmp,var-tmp,var-lib,var-log,etc-docker,data,exec}
	chmod 700 "$D"/root "$D"/root/.ssh
	chmod 1777 "$D"/tmp "$D"/var-tmp
	[ -f "$KEYS"/$name ] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$KEYS"/$name
	install -m 600 "$KEYS"/$name "$D"/ssh_host_ed25519_key
	cp "$CLIENT"/id_ed25519.pub "$D"/root/.ssh/authorized_keys
	echo "$addr $(cut -d' ' -f1,2 "$KEYS"/$name.pub)" >"$KEYS"/known_hosts.$name
	[ -f "$D"/etc-docker/daemon.json ] || echo '{}' >"$D"/etc-docker/daemon.json
	cat >"$D"/sshd_config <<EOF
ListenAddress $addr:22
HostKey /run/lab/ssh_host_ed25519_key
PidFile /run/lab/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthorizedKeysFile .ssh/authorized_keys
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
UseDNS no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

host_net_up() {
	ip netns del "$name" 2>/dev/null || true
	ip link del "v-$name" 2>/dev/null || true
	ip netns add "$name"
	ip link add "v-$name" type veth peer name eth0 netns "$name"
	ip link set "v-$name" master $BRIDGE up
	ip -n "$name" addr add "$addr/24" dev eth0
	ip -n "$name" link set eth0 up
	ip -n "$name" link set lo up
}

host_ns_up() {
	umount "$MNTNS" 2>/dev/null || true
	umount "$UTSNS" 2>/dev/null || true
	touch "$MNTNS" "$UTSNS"
	# The host's view: its own hostname, /run (so /var/run/docker.sock), /root,
	# /tmp, /var/tmp, /var/lib, /var/log and /etc/docker. The host's lab folder
	# shows as /run/lab inside.
	unshare --mount="$MNTNS" --uts="$UTSNS" --propagation private sh -ec "
		hostname $name
		mount -t tmpfs -o mode=755 tmpfs /run
		mkdir -p /run/lab /run/sshd
		mount --bind '$D' /run/lab
		mount --bind /run/lab/root /root
		mount --bind /run/lab/tmp /tmp
		mount --bind /run/lab/var-tmp /var/tmp
		mount --bind /run/lab/var-lib /var/lib
		mount --bind /run/lab/var-log /var/log
		mkdir -p /etc/docker
		mount --bind /run/lab/etc-docker /etc/docker
	"
}

host_dockerd_up() {
	kill_pidfile "$D"/docker.pid dockerd
	drop_containerd "$D"/exec
	rm -f "$D"/docker.sock
	(
		daemon_prep "$name"
		exec setsid nsenter --net="$NETNS" --mount="$MNTNS" --uts="$UTSNS" \
			$DOCKERD --data-root /run/lab/data --exec-root /run/lab/exec \
			--pidfile /run/lab/docker.pid -H unix:///run/docker.sock -H unix:///run/lab/docker.sock \
			--insecure-registry $REGISTRY --cgroup-parent /$CG_NAME/$name \
			</dev/null >>"$D"/dockerd.log 2>&1
	) &
}

host_sshd_up() {
	kill_pidfile "$D"/sshd.pid sshd
	(
		daemon_prep "$name"
		exec setsid nsenter --net="$NETNS" --mount="$MNTNS" --uts="$UTSNS" \
			$SSHD -f /run/lab/sshd_config -E /run/lab/sshd.log </dev/null >/dev/null 2>&1
	)
}

# host_up NAME: make the host healthy, repairing only what is broken.
host_up() {
	host_paths "$1"
	local fresh=0
	# A link set down (a test cutting a host off) is only set up again.
	ip link set "v-$name" up 2>/dev/null || true
	ip -n "$name" link set eth0 up 2>/dev/null || true
	if ! host_net_ok || ! host_ns_ok; then
		[ ! -d "$D" ] || log "$name: rebuilding"
		host_down "$name"
		host_paths "$1"
		fresh=1
	fi
	host_setup_dirs
	if [ $fresh = 1 ]; then host_net_up; host_ns_up; fi
	if ! host_dockerd_ok; then
		[ $fresh = 1 ] || log "$name: restarting dockerd"
		host_dockerd_up
	fi
	if ! host_sshd_ok; then
		[ $fresh = 1 ] || log "$name: restarting sshd"
		host_sshd_up
	fi
	wait_for 60 host_dockerd_ok || die "$name: dockerd did not start (see $D/dockerd.log)"
	wait_for 20 host_sshd_ok || die "$name: sshd did not answer (see $D/sshd.log)"
}

# ---------------------------------------------------------------- registry

registry_ok() {
	alive "$REG_DIR"/registry.pid docker-registry &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://$REGISTRY/v2/)" = 401 ]
}

registry_up() {
	mkdir -p "$REG_DIR"/data
	# bcrypt; the password goes through stdin, never on a command line.
	local restart=0
	if ! htpasswd -vi "$REG_DIR"/htpasswd "$REGISTRY_USER" <"$CLIENT"/registry_password >/dev/null 2>&1; then
		htpasswd -Bin "$REGISTRY_USER" <"$CLIENT"/registry_password >"$REG_DIR"/htpasswd.new 2>/dev/null
		mv "$REG_DIR"/htpasswd.new "$REG_DIR"/htpasswd
		restart=1
	fi
	[ -s "$REG_DIR"/http_secret ] || (umask 077; gen_secret >"$REG_DIR"/http_secret)
	(
		umask 077
		cat >"$REG_DIR"/config.yml <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  secret: $(cat "$REG_DIR"/http_secret)
auth:
  htpasswd:
    realm: berth-lab
    path: $REG_DIR/htpasswd
EOF
	)
	if [ $restart = 0 ] && registry_ok; then return 0; fi
	[ ! -e "$REG_DIR"/registry.pid ] || log "registry: restarting"
	kill_pidfile "$REG_DIR"/registry.pid docker-registry
	(
		daemon_prep registry
		exec setsid docker-registry serve "$REG_DIR"/config.yml </dev/null >>"$REG_DIR"/registry.log 2>&1
	) &
	echo $! >"$REG_DIR"/registry.pid
	wait_for 20 registry_ok || die "registry did not start (see $REG_DIR/registry.log)"
}

# ---------------------------------------------------------------- build daemon and images

build_docker() { DOCKER_CONFIG=$BUILD/docker-config $DOCKER -H unix://"$BUILD"/docker.sock "$@"; }

build_ok() { alive "$BUILD"/docker.pid dockerd && timeout 5 $DOCKER -H unix://"$BUILD"/docker.sock version >/dev/null 2>&1; }

build_up() {
	build_ok && return 0
	[ ! -e "$BUILD"/docker.pid ] || log "build daemon: restarting"
	kill_pidfile "$BUILD"/docker.pid dockerd
	drop_containerd "$BUILD"/exec
	mkdir -p "$BUILD"/{data,exec,etc-docker,docker-config}
	[ -f "$BUILD"/etc-docker/daemon.json ] || echo '{}' >"$BUILD"/etc-docker/daemon.json
	rm -f "$BUILD"/docker.sock
	mkdir -p /etc/docker
	# Own mount namespace (its mounts vanish with it), own /etc/docker; no
	# bridge, no iptables: it leaves the root namespace's network alone.
	(
		daemon_prep build
		exec setsid unshare --mount --propagation private sh -c "
			mount --bind '$BUILD/etc-docker' /etc/docker &&
			exec $DOCKERD --data-root '$BUILD/data' --exec-root '$BUILD/exec' \
				--pidfile '$BUILD/docker.pid' -H 'unix://$BUILD/docker.sock' \
				--bridge none --iptables=false --ip-forward=false --ip-masq=false \
				--insecure-registry $REGISTRY --cgroup-parent /$CG_NAME/build" \
			</dev/null >>"$BUILD"/dockerd.log 2>&1
	) &
	wait_for 60 build_ok || die "build daemon did not start (see $BUILD/dockerd.log)"
}

# The test images: "repository:tag mode entrypoint healthcheck".
IMAGES=(
	"app:v1 good serve -"
	"app:v2 good serve -"
	"app:v3 good serve -"
	"app:broken broken serve -"
	"app:unhealthy unhealthy serve -"
	"app:slow slow serve -"
	"app:v1-hc good serve hc"
	"cache:7 good cache -"
	"cache:8 good cache -"
)

dockerfile() {
	local kind=$1 hc=$2
	echo 'FROM scratch'
	echo 'COPY app /app'
	[ "$hc" = - ] || echo 'HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD ["/app", "check"]'
	if [ "$kind" = cache ]; then
		echo 'EXPOSE 6379'
		echo 'ENTRYPOINT ["/app", "cache"]'
	else
		echo 'EXPOSE 8080'
		echo 'CMD ["/app", "serve"]'
	fi
}

images_stamp() {
	{
		cat "$REPO_ROOT"/test/lab/app/main.go
		printf '%s\n' "${IMAGES[@]}"
		declare -f dockerfile
		go version
	} | sha256sum | cut -c1-16
}

registry_has() {
	local repo=${1%%:*} tag=${1#*:}
	printf 'user = "%s:%s"\n' "$REGISTRY_USER" "$(cat "$CLIENT"/registry_password)" |
		curl -sf -K - -o /dev/null --max-time 5 \
			-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
			"http://$REGISTRY/v2/$repo/manifests/$tag"
}

images_up() {
	local stamp want=() spec ref mode kind hc tag ctx
	stamp=$(images_stamp)
	for spec in "${IMAGES[@]}"; do
		ref=${spec%% *}
		if [ "$(cat "$REG_DIR"/images.stamp 2>/dev/null)" != "$stamp" ] || ! registry_has "$ref"; then
			want+=("$spec")
		fi
	done
	[ ${#want[@]} -eq 0 ] && return 0
	log "building ${#want[@]} test image(s)"
	build_docker login --username "$REGISTRY_USER" --password-stdin $REGISTRY \
		<"$CLIENT"/registry_password >>"$BUILD"/build.log 2>&1 || die "docker login to $REGISTRY failed (see $BUILD/build.log)"
	ctx=$LAB_DIR/images
	rm -rf "$ctx"
	for spec in "${want[@]}"; do
		read -r ref mode kind hc <<<"$spec"
		tag=${ref#*:}
		mkdir -p "$ctx/$ref"
		(cd "$REPO_ROOT" && CGO_ENABLED=0 go build -trimpath \
			-ldflags "-s -w -X main.version=$tag -X main.mode=$mode" \
			-o "$ctx/$ref/app" ./test/lab/app)
		dockerfile "$kind" "$hc" >"$ctx/$ref/Dockerfile"
		DOCKER_BUILDKIT=0 build_docker build -q --label org.opencontainers.image.version="$tag" \
			-t "$REGISTRY/$ref" "$ctx/$ref" >>"$BUILD"/build.log 2>&1 || die "building $ref failed (see $BUILD/build.log)"
		build_docker push "$REGISTRY/$ref" >>"$BUILD"/build.log 2>&1 || die "pushing $ref failed (see $BUILD/build.log)"
	done
	rm -rf "$ctx"
	echo "$stamp" >"$REG_DIR"/images.stamp
}

# The kamal-proxy image (berth's proxy block): the real kamal-proxy, pinned by
# test/lab/kamal-proxy/go.mod, in a FROM scratch image with a writable HOME
# and /tmp. The binary is cached under the lab folder, keyed by go.sum; the
# image is pushed only when the registry lacks it.
PROXY_REF=kamal-proxy:v0.9.2

proxy_image_up() {
	registry_has "$PROXY_REF" && return 0
	local src=$REPO_ROOT/test/lab/kamal-proxy key bin ctx
	key=$({ cat "$src"/go.mod "$src"/go.sum; go version; } | sha256sum | cut -c1-16)
	bin=$LAB_DIR/cache/kamal-proxy-$key
	if [ ! -x "$bin" ]; then
		log "building kamal-proxy (once, ~40 s)"
		mkdir -p "$LAB_DIR"/cache
		(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin.tmp" \
			github.com/basecamp/kamal-proxy/cmd/kamal-proxy) >>"$BUILD"/build.log 2>&1 ||
			die "building kamal-proxy failed (see $BUILD/build.log)"
		mv "$bin.tmp" "$bin"
	fi
	ctx=$LAB_DIR/images/kamal-proxy
	rm -rf "$ctx"
	mkdir -p "$ctx"/rootfs/usr/local/bin "$ctx"/rootfs/tmp "$ctx"/rootfs/home/kamal-proxy/.config/kamal-proxy
	chmod 1777 "$ctx"/rootfs/tmp
	cp "$bin" "$ctx"/rootfs/usr/local/bin/kamal-proxy
	printf '%s\n' 'FROM scratch' 'COPY rootfs/ /' 'ENV HOME=/home/kamal-proxy PATH=/usr/local/bin' \
		'EXPOSE 80 443' 'CMD ["kamal-proxy", "run"]' >"$ctx"/Dockerfile
	build_docker login --username "$REGISTRY_USER" --password-stdin $REGISTRY \
		<"$CLIENT"/registry_password >>"$BUILD"/build.log 2>&1 || die "docker login to $REGISTRY failed (see $BUILD/build.log)"
	DOCKER_BUILDKIT=0 build_docker build -q -t "$REGISTRY/$PROXY_REF" "$ctx" >>"$BUILD"/build.log 2>&1 ||
		die "building $PROXY_REF failed (see $BUILD/build.log)"
	build_docker push "$REGISTRY/$PROXY_REF" >>"$BUILD"/build.log 2>&1 || die "pushing $PROXY_REF failed (see $BUILD/build.log)"
	rm -rf "$ctx"
}

# nginx, PostgreSQL and Redis from Debian's packages (debian_images_up).
. "$REPO_ROOT"/test/lab/debian-images.sh

# ---------------------------------------------------------------- up / down / status

no_lab_zombies() {
	! ps -eo stat=,comm= | grep -qE '^Z.* (dockerd|containerd|containerd-shim.*|sshd|docker-registry|docker-proxy)$'
}

lab_hosts() {
	# Hosts the lab has now: from its folders and namespaces.
	{
		ls "$LAB_DIR"/hosts 2>/dev/null || true
		ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^h[0-9]+$' || true
	} | sort -uV
}

up() {
	local n=${1:-3} start=$SECONDS name pids=() p failed=0
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "HOSTS must be 1..200, not '$n'"
	[ "$(id -u)" = 0 ] || die "the lab needs root"
	install_packages
	down_other
	for name in $(lab_hosts); do
		[ "${name#h}" -le "$n" ] || { log "$name: removing (beyond $n hosts)"; host_down "$name"; }
	done
	mkdir -p "$LAB_DIR"/hosts
	client_files
	bridge_up
	ns_dir_up
	echo "$LAB_DIR" >"$ACTIVE"
	registry_up
	(build_up && images_up && proxy_image_up && debian_images_up) &
	pids+=($!)
	for ((i = 1; i <= n; i++)); do
		host_up h$i &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	[ $failed = 0 ] || die "lab is not healthy (see logs under $LAB_DIR)"
	write_client_index "$n"
	log "up: $n host(s), registry $REGISTRY, client files in $CLIENT ($((SECONDS - start)) s)"
}

# down_other: take down a lab that is up from another folder (it holds the
# same namespaces, links and addresses).
down_other() {
	local other
	other=$(cat "$ACTIVE" 2>/dev/null) || return 0
	[ -n "$other" ] && [ "$other" != "$LAB_DIR" ] || return 0
	log "taking down the lab in $other first"
	(LAB_DIR=$other; set_dirs; down)
}

down() {
	local name
	down_other
	for name in $(lab_hosts); do host_down "$name" & done
	wait
	kill_pidfile "$REG_DIR"/registry.pid docker-registry
	kill_pidfile "$BUILD"/docker.pid dockerd
	cg_kill build
	cg_kill registry
	local h; for h in /sys/fs/cgroup/*/; do rmdir "$h$CG_NAME" 2>/dev/null || true; done
	rm -rf "$BUILD" "$LAB_DIR"/hosts "$LAB_DIR"/images
	if mountpoint -q $NS_DIR 2>/dev/null; then
		umount $NS_DIR/*.mnt $NS_DIR/*.uts 2>/dev/null || true
		umount $NS_DIR
	fi
	rm -rf $NS_DIR
	ip link del $BRIDGE 2>/dev/null || true
	# The killed daemons are reaped by init, which may take a moment.
	wait_for 10 no_lab_zombies || true
	log "down"
}

status() {
	local name
	printf '%-10s %s\n' registry "$(registry_ok && echo ok || echo DOWN)"
	printf '%-10s %s\n' build "$(build_ok && echo ok || echo down)"
	for name in $(lab_hosts); do
		host_paths "$name"
		printf '%-10s %-12s dockerd %-5s sshd %s\n' "$name" "$addr" \
			"$(host_dockerd_ok && echo ok || echo DOWN)" "$(alive "$D"/sshd.pid sshd && echo ok || echo DOWN)"
	done
}

lock() {
	exec 9>"$LOCK"
	flock -w 600 9 || die "another lab.sh still holds $LOCK"
}

case "${1:-}" in
up) lock; up "${2:-3}" ;;
down) lock; down ;;
status) status ;;
*) echo "usage: $0 up [N] | down | status" >&2; exit 2 ;;
esac
