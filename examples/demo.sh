#!/usr/bin/env bash
# make demo: bring up the lab, deploy examples/ to it, show it serving.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB_DIR=${BERTH_LAB_DIR:-/tmp/berth-lab}
make --no-print-directory build
make --no-print-directory lab-up
# The registry password the lab generated (the example reads it with env()).
REGISTRY_PASSWORD=$(cat "$LAB_DIR/client/registry_password")
export REGISTRY_PASSWORD BERTH_VAR_lab_dir=$LAB_DIR
berth=bin/berth

echo; echo "== berth plan"
$berth --chdir examples plan
echo; echo "== berth apply --auto-approve"
$berth --chdir examples apply --auto-approve
echo; echo "== the web role answers on both hosts"
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
for addr in 10.77.0.11 10.77.0.12; do
  printf 'http://%s/up -> ' "$addr"
  curl -fsS --max-time 5 "http://$addr/up"; echo
done
echo; echo "== berth status"
$berth --chdir examples status
echo
echo "Try: $berth --chdir examples plan --var version=v2, then apply it."
echo
echo "A second example, examples/shop: nginx behind kamal-proxy (port 8080 on h1"
echo "and h2), a worker on h3 that reaches PostgreSQL (db) and Redis (cache) by"
echo "name, all from Debian's packages. Deploy it with:"
echo "  export REGISTRY_PASSWORD=\$(cat $LAB_DIR/client/registry_password) SHOP_DB_PASSWORD=pick-one"
echo "  $berth --chdir examples/shop apply"
echo "  curl http://10.77.0.11:8080/   $berth --chdir examples/shop logs worker"
echo "The lab stays up; 'make lab-down' removes it."
