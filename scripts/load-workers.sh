#!/usr/bin/env bash
# A load run of several workers against the running stack, judged as one:
#   scripts/load-workers.sh WORKERS PROFILE [judge options, e.g. --threshold 'p95<1s']
# Starts WORKERS `loadgen` replicas (compose profile `load`), each running
# its share of PROFILE's users from one start time; Prometheus scrapes them
# (job loadgen) while they run. When the last one has ended, `shop-load
# judge` evaluates the profile's thresholds (or the ones given) on the sum of
# every worker, prints the pass/fail table and exits with its verdict: 0
# passed, 1 a threshold broke, 2 the run was not whole (a worker missing or
# lost) or could not be judged. LOAD_LEAD_SECONDS (default 20): how far ahead
# the start is set, for the replicas to start and the data set-up to run.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

workers="${1:?usage: load-workers.sh WORKERS PROFILE [judge options]}"
profile="${2:?usage: load-workers.sh WORKERS PROFILE [judge options]}"
shift 2
lead="${LOAD_LEAD_SECONDS:-20}"
from="$(date -u +%s)"
start="$((from + lead))"
replicas() {
  docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT" \
    --filter "label=com.docker.compose.service=loadgen"
}
cleanup() { replicas | xargs -r docker rm -f >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

log "$workers workers of profile $profile, starting at $(date -u -d "@$start" +%FT%TZ)"
LOAD_WORKERS="$workers" LOAD_PROFILE="$profile" LOAD_START_AT="$start" \
  compose --profile load up -d --no-deps --scale loadgen="$workers" loadgen
mapfile -t ids < <(replicas)
[ "${#ids[@]}" = "$workers" ] || { log "FAIL: ${#ids[@]} of $workers replicas started"; exit 2; }
codes="$(docker wait "${ids[@]}" | tr '\n' ' ')"
log "the workers ended (exit codes: $codes)"
for id in "${ids[@]}"; do
  code="$(docker inspect -f '{{.State.ExitCode}}' "$id")"
  [ "$code" = 0 ] || { log "a worker failed ($code):"; docker logs --tail 20 "$id" >&2; }
done

# The judge runs from the same image, beside Prometheus.
compose --profile load run --rm --no-deps loadgen judge \
  --prometheus http://prometheus:9090 --profile "$profile" --from "$from" "$@"
