# debian-images.sh: real software for the lab, sourced by lab.sh.
#
# Builds nginx, PostgreSQL 15 and Redis 7 from Debian's own packages and
# pushes them to the lab registry as
#
#   10.77.0.1:5000/nginx:bookworm   nginx, /up and a page on port 80, STOPSIGNAL SIGQUIT
#   10.77.0.1:5000/postgres:15      initdb on an empty volume, postgres as PID 1, STOPSIGNAL SIGINT
#   10.77.0.1:5000/redis:7          redis-server in the foreground as user redis
#
# (the tags follow the machine's suite and the suite's versions). One root
# file system serves all three, so a host pulls its one big layer once:
#
#   1. debootstrap --variant=minbase, with the suite and the Debian mirror of
#      the machine's own apt sources, into a scratch folder;
#   2. apt-get install of the packages inside it (chroot), then apt's caches,
#      docs, man pages and locales removed; the result is a tarball cached in
#      $LAB_DIR/cache, named by a hash of the suite, the sources, the
#      packages and these functions (lab-down keeps it);
#   3. docker import of that tarball on the build daemon (the base image);
#   4. per image a small `docker build --network none` FROM the base with
#      test/lab/debian/NAME (config files, entrypoint, STOPSIGNAL, CMD: docker
#      import --change cannot set STOPSIGNAL), pushed to the registry.
#
# Steps 1-2 take about 2 minutes once. A lab-up whose registry has the three
# images built from the same recipe (debian-images.stamp) does nothing.

DEBIAN_PACKAGES=(nginx postgresql-15 redis-server procps)
DEBIAN_IMAGES=(nginx postgres redis)
DEBIAN_SRC=$REPO_ROOT/test/lab/debian

# debian_suite: the machine's own suite (bookworm on Debian 12).
debian_suite() { (. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"); }

# debian_sources SUITE: the machine's apt sources for SUITE and its updates
# and security suites, one "deb URI SUITE main" line each; the first line is
# the mirror debootstrap uses.
debian_sources() {
	apt-get indextargets --format '$(IDENTIFIER) $(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
		awk -v s="$1" '$1 == "Packages" && $2 == "deb" && $5 == "main" && ($4 == s || index($4, s "-") == 1) {
			if (!seen[$3 " " $4]++) print "deb " $3 " " $4 " main" }' |
		sort -k3,3 | awk -v s="$1" '{ if ($3 == s) print; else rest = rest $0 "\n" } END { printf "%s", rest }'
}

# debian_tag NAME: the image's tag: the suite for nginx, the major version
# of the package for the others.
debian_tag() {
	case $1 in
	nginx) echo "$DEBIAN_SUITE" ;;
	postgres) echo 15 ;;
	redis) echo 7 ;;
	esac
}

debian_rootfs_key() {
	{
		echo "$DEBIAN_SUITE"
		printf '%s\n' "$DEBIAN_SOURCES" "${DEBIAN_PACKAGES[@]}"
		declare -f debian_rootfs debian_rootfs_chroot
	} | sha256sum | cut -c1-16
}

debian_images_stamp() {
	{
		debian_rootfs_key
		printf '%s\n' "${DEBIAN_IMAGES[@]}"
		declare -f debian_tag debian_images_up debian_image_build
		(cd "$DEBIAN_SRC" && find . -type f | LC_ALL=C sort | xargs sha256sum)
	} | sha256sum | cut -c1-16
}

# debian_rootfs_chroot ROOT: inside the new root, in a private mount
# namespace (its /proc and cache mounts vanish with it): install the
# packages, no daemon started, then drop what a container does not need.
debian_rootfs_chroot() {
	local root=$1
	shift
	mkdir -p "$root"/var/cache/apt/archives
	mount -t proc proc "$root"/proc
	mount --bind "$LAB_DIR"/cache/debian-debs "$root"/var/cache/apt/archives
	printf '%s\n' "$DEBIAN_SOURCES" >"$root"/etc/apt/sources.list
	cp /etc/resolv.conf "$root"/etc/resolv.conf
	printf '#!/bin/sh\nexit 101\n' >"$root"/usr/sbin/policy-rc.d
	chmod +x "$root"/usr/sbin/policy-rc.d
	# The image's entrypoint makes its own cluster in the volume.
	mkdir -p "$root"/etc/postgresql-common/createcluster.d
	echo 'create_main_cluster = false' >"$root"/etc/postgresql-common/createcluster.d/berth-lab.conf
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		sh -ec "apt-get update -qq && apt-get install -y -qq --no-install-recommends $*"
	umount "$root"/var/cache/apt/archives "$root"/proc
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
		"$root"/var/log/*.log "$root"/var/log/apt/* "$root"/usr/sbin/policy-rc.d "$root"/tmp/* \
		"$root"/etc/nginx/sites-enabled/default
	mkdir -p "$root"/var/cache/apt/archives/partial
	: >"$root"/etc/resolv.conf
	: >"$root"/etc/machine-id
	# nginx's logs go to the container's stdout and stderr.
	ln -sf /dev/stdout "$root"/var/log/nginx/access.log
	ln -sf /dev/stderr "$root"/var/log/nginx/error.log
}

# debian_rootfs TARBALL: debootstrap, packages, clean-up, tar.
debian_rootfs() {
	local tarball=$1 root=$LAB_DIR/cache/debian-rootfs mirror
	mirror=$(echo "$DEBIAN_SOURCES" | head -1 | cut -d' ' -f2)
	rm -rf "$root"
	mkdir -p "$root" "$LAB_DIR"/cache/debian-debs
	log "building the Debian root file system for nginx, PostgreSQL and Redis ($DEBIAN_SUITE from $mirror; once, about 2 minutes)"
	unshare --mount --propagation private debootstrap --variant=minbase \
		--cache-dir="$LAB_DIR"/cache/debian-debs "$DEBIAN_SUITE" "$root" "$mirror" \
		>>"$BUILD"/debian.log 2>&1 || die "debootstrap failed (see $BUILD/debian.log)"
	LAB_DIR=$LAB_DIR DEBIAN_SOURCES=$DEBIAN_SOURCES unshare --mount --propagation private \
		bash -ec "$(declare -f debian_rootfs_chroot); debian_rootfs_chroot \"\$@\"" _ "$root" "${DEBIAN_PACKAGES[@]}" \
		>>"$BUILD"/debian.log 2>&1 || die "installing ${DEBIAN_PACKAGES[*]} failed (see $BUILD/debian.log)"
	tar -C "$root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
		-cf "$tarball.tmp" . || die "packing the root file system failed"
	mv "$tarball.tmp" "$tarball"
	rm -rf "$root"
}

# debian_image_build NAME BASE: the image NAME from test/lab/debian/NAME.
debian_image_build() {
	local name=$1 base=$2 ref
	ref=$REGISTRY/$name:$(debian_tag "$name")
	DOCKER_BUILDKIT=0 build_docker build -q --network none --build-arg BASE="$base" \
		--label org.opencontainers.image.version="$(debian_tag "$name")" \
		-t "$ref" "$DEBIAN_SRC/$name" >>"$BUILD"/build.log 2>&1 || die "building $ref failed (see $BUILD/build.log)"
	build_docker push "$ref" >>"$BUILD"/build.log 2>&1 || die "pushing $ref failed (see $BUILD/build.log)"
}

# debian_images_local: the images in the build daemon too, pulled from the
# registry when a lab-down took the daemon's store and the registry kept
# them. A build FROM them then starts from the local image: BuildKit in
# dockerd reads a plain-http registry over https (see the README, "Building
# images").
debian_images_local() {
	local name ref
	for name in "${DEBIAN_IMAGES[@]}"; do
		ref=$REGISTRY/$name:$(debian_tag "$name")
		build_docker image inspect "$ref" >/dev/null 2>&1 && continue
		build_docker login --username "$REGISTRY_USER" --password-stdin $REGISTRY \
			<"$CLIENT"/registry_password >>"$BUILD"/build.log 2>&1 || die "docker login to $REGISTRY failed (see $BUILD/build.log)"
		build_docker pull -q "$ref" >>"$BUILD"/build.log 2>&1 || die "pulling $ref into the build daemon failed (see $BUILD/build.log)"
	done
}

debian_images_up() {
	local stamp key tarball base name missing=0 start=$SECONDS
	DEBIAN_SUITE=$(debian_suite)
	DEBIAN_SOURCES=$(debian_sources "$DEBIAN_SUITE")
	[ -n "$DEBIAN_SOURCES" ] || die "no apt source for $DEBIAN_SUITE main in this machine's apt sources (apt-get update?)"
	stamp=$(debian_images_stamp)
	for name in "${DEBIAN_IMAGES[@]}"; do
		registry_has "$name:$(debian_tag "$name")" || missing=1
	done
	if [ $missing = 0 ] && [ "$(cat "$REG_DIR"/debian-images.stamp 2>/dev/null)" = "$stamp" ]; then
		debian_images_local
		return 0
	fi
	key=$(debian_rootfs_key)
	tarball=$LAB_DIR/cache/debian-$DEBIAN_SUITE-$key.tar
	base=berth-lab/debian:$DEBIAN_SUITE-$key
	if ! build_docker image inspect "$base" >/dev/null 2>&1; then
		[ -s "$tarball" ] || debian_rootfs "$tarball"
		log "importing the Debian base image"
		build_docker import --change 'CMD ["/bin/bash"]' "$tarball" "$base" >>"$BUILD"/build.log 2>&1 ||
			die "docker import of $tarball failed (see $BUILD/build.log)"
		# Older root file systems of this recipe are of no further use.
		find "$LAB_DIR"/cache -maxdepth 1 -name 'debian-*.tar' ! -name "${tarball##*/}" -delete
	fi
	log "building the Debian images (${DEBIAN_IMAGES[*]})"
	build_docker login --username "$REGISTRY_USER" --password-stdin $REGISTRY \
		<"$CLIENT"/registry_password >>"$BUILD"/build.log 2>&1 || die "docker login to $REGISTRY failed (see $BUILD/build.log)"
	for name in "${DEBIAN_IMAGES[@]}"; do debian_image_build "$name" "$base"; done
	echo "$stamp" >"$REG_DIR"/debian-images.stamp
	log "Debian images built and pushed ($((SECONDS - start)) s)"
}
