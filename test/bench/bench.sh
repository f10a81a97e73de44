#!/usr/bin/env bash
# bench.sh: berth's performance figures; `make bench` runs it.
#
#   bash test/bench/bench.sh
#
# Builds bin/berth and the bench driver, brings the lab up if it is not
# (and leaves it up), then measures, each figure a median of several runs:
#   1. the lab, 3 hosts: berth apply and plan against the same work by hand;
#      1b. a redeploy of 2 hosts behind kamal-proxy against published ports
#      1c. a one-file rebuild + deploy of examples/build to 2 hosts against
#          docker build + docker push + the same deploy by hand
#   2. simulated fleets of 10..1,000 hosts (test/sim, 127.0.0.1 only)
#   3. the lab grown to 20 hosts: apply at parallelism 10 and 20 against
#      the by-hand floor; the lab goes back to its size afterwards
#   4. Go benchmarks at 1,000 hosts × 5 roles
# and prints one Markdown table, also written to test/bench/results.md.
#
# Environment: BENCH_LAB20=0 skips scenario 3 (it changes the lab under
# anyone else using it); BENCH_SIZES (default 10,100,500,1000),
# BENCH_RUNS (lab runs, default 5), BENCH_SIM_RUNS (default 3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
GO=${GO:-go}
export BERTH_LAB_DIR=${BERTH_LAB_DIR:-/tmp/berth-lab}
LAB20=${BENCH_LAB20:-1}
SIZES=${BENCH_SIZES:-10,100,500,1000}
RUNS=${BENCH_RUNS:-5}
SIM_RUNS=${BENCH_SIM_RUNS:-3}
OUT=test/bench/results.md
[ -n "${HOME:-}" ] || [ -n "${GOCACHE:-}" ] || export GOCACHE=/root/.cache/go-build

log() { printf 'bench: %s\n' "$*" >&2; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d)
GROWN=0 # the lab was grown for scenario 3 and must go back to its size
cleanup() {
	[ "$GROWN" = 0 ] || bash test/lab/lab.sh up "$HOSTS_BEFORE" || true
	rm -rf "$TMP"
}
trap cleanup EXIT

log "building bin/berth and the bench driver"
CGO_ENABLED=0 $GO build -o bin/berth ./cmd/berth
$GO build -o "$TMP/bench" ./test/bench

lab_hosts() { wc -l <"$BERTH_LAB_DIR/client/hosts" 2>/dev/null || echo 0; }

# The lab, with at least 3 hosts: `up` is idempotent and quick on a
# healthy lab, and keeps a bigger one at its size.
HOSTS_BEFORE=$(lab_hosts)
[ "$HOSTS_BEFORE" -ge 3 ] || HOSTS_BEFORE=3
log "lab up ($HOSTS_BEFORE hosts)"
bash test/lab/lab.sh up "$HOSTS_BEFORE"

log "scenario 1: the lab, 3 hosts"
"$TMP/bench" lab -hosts 3 -runs "$RUNS" -order 100 -out "$TMP/1-lab3.json"

log "scenario 1b: the lab, 2 hosts: redeploy behind kamal-proxy against published ports"
"$TMP/bench" proxy -runs "$RUNS" -order 150 -out "$TMP/1b-proxy.json"

log "scenario 1c: the lab, 2 hosts: a one-file rebuild + deploy against docker build + docker push + the same deploy by hand"
"$TMP/bench" build -hosts h1,h2 -runs "$RUNS" -order 160 -out "$TMP/1c-build.json"

log "scenario 2: simulated fleets of $SIZES hosts"
"$TMP/bench" sim -sizes "$SIZES" -runs "$SIM_RUNS" -latency 50ms -parallelism 100 -out "$TMP/2-sim.json"

status=0
if [ "$LAB20" != 0 ]; then
	log "scenario 3: the lab with 20 hosts (growing it; back to $HOSTS_BEFORE hosts afterwards)"
	GROWN=1
	bash test/lab/lab.sh up $((HOSTS_BEFORE > 20 ? HOSTS_BEFORE : 20)) || status=$?
	if [ $status = 0 ]; then
		"$TMP/bench" lab -hosts 20 -runs 3 -parallelism 10,20 -order 300 -out "$TMP/3-lab20.json" || status=$?
	fi
	[ "$HOSTS_BEFORE" -ge 20 ] || bash test/lab/lab.sh up "$HOSTS_BEFORE" || true
	GROWN=0
	[ $status = 0 ] || log "scenario 3 failed (exit status $status); the table goes on without it"
else
	log "scenario 3 skipped (BENCH_LAB20=0)"
fi

log "scenario 4: Go benchmarks"
"$TMP/bench" gobench -count 5 -out "$TMP/4-go.json"

{
	echo "# berth benchmarks"
	echo
	echo "Produced by \`make bench\` (test/bench/bench.sh) on $(nproc) CPUs, $(free -g | awk '/^Mem:/ {print $2}') GB, $(uname -sr);"
	echo "load average before the run $LOAD_BEFORE, after it $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)."
	echo
	"$TMP/bench" report "$TMP"/1-lab3.json "$TMP"/1b-proxy.json "$TMP"/1c-build.json "$TMP"/2-sim.json "$TMP"/3-lab20.json "$TMP"/4-go.json
} >"$OUT"
cat "$OUT"
exit $status
