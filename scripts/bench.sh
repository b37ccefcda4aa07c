#!/usr/bin/env bash
# The benchmark command: installs wrk and nginx (Debian's packages) if they
# are missing, makes sure the images exist, builds the release binaries and
# runs `bench` (tools/bench) with the arguments given, e.g.
#   scripts/bench.sh all
#   scripts/bench.sh gateway telemetry --rounds 7 --seconds 5
# Tables are printed and written to reports/bench/ (<suite>.json, .md).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  log "installing wrk and nginx"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
  # Only the binary is wanted: no system nginx listening on :80.
  (systemctl disable --now nginx || service nginx stop || pkill -x nginx) >/dev/null 2>&1 || true
fi
select_images
# Postgres and RabbitMQ are the test containers, removed when done.
trap 'docker rm -f -v testbed-test-postgres testbed-test-rabbitmq >/dev/null 2>&1 || true' EXIT
cd "$REPO_ROOT"
log "building release binaries"
cargo build --release --locked --bins \
  -p gateway -p auth -p users -p catalog -p inventory -p orders -p payments -p notifications \
  -p simulators -p chaos -p loadtests -p bench
target/release/bench "$@"
