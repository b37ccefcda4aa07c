#!/usr/bin/env bash
# The benchmark command: checks that wrk and nginx are installed where the
# suites asked for need them (it installs nothing: it says what is missing),
# makes sure the images exist, builds the release binaries and runs `bench`
# (tools/bench) with the arguments given, e.g.
#   scripts/bench.sh all
#   scripts/bench.sh gateway telemetry --rounds 7 --seconds 5
# Tables are printed and written to reports/bench/ (<suite>.json, .md).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"

# wrk drives the saturation suites; nginx is the gateway suite's other side.
needed=()
for suite in "$@"; do
  case "$suite" in
    all | gateway | loadgen) needed+=(wrk nginx) ;;
    telemetry | proxy) needed+=(wrk) ;;
  esac
done
missing=()
for tool in $(printf '%s\n' "${needed[@]}" | sort -u); do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "scripts/bench.sh needs ${missing[*]}: on Debian or Ubuntu, apt-get install ${missing[*]}" >&2
  echo "(only the nginx binary is used: the benchmark starts its own on a free port)" >&2
  exit 1
fi
select_images
# Postgres and RabbitMQ are the test containers; those this run starts are
# removed when it ends, those that were already there are left alone.
started_here=()
for container in testbed-test-postgres testbed-test-rabbitmq; do
  docker container inspect "$container" >/dev/null 2>&1 || started_here+=("$container")
done
remove_started() {
  if ((${#started_here[@]})); then
    docker rm -f -v "${started_here[@]}" >/dev/null 2>&1 || true
  fi
}
trap remove_started EXIT
cd "$REPO_ROOT"
build_release_set release
target/release/bench "$@"
