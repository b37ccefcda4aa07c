#!/usr/bin/env bash
# Fails when a container of the compose stack holds zombie processes: every
# container's PID 1 must reap its children (init: true in compose, tini in
# the locally built broker image). A zombie has left its cgroup (so `docker
# top` does not list it): it is found on the host, by its parent, which is
# one of the container's processes. A zombie can exist for an instant
# between a child's exit and its parent's wait, so each container is sampled
# three times a second apart and only one that has zombies every time counts.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ids="$(compose ps -q)"
[ -n "$ids" ] || { log "the stack is not running"; exit 1; }
# zombies_in CONTAINER [--list]: the host's zombies whose parent runs in it.
zombies_in() {
  local parents
  parents="$(docker top "$1" -eo pid 2>/dev/null | awk 'NR > 1 { printf "%s ", $1 }')"
  ps -eo stat=,ppid=,pid=,comm= | awk -v parents=" $parents" -v list="${2:-}" '
    $1 ~ /^Z/ && index(parents, " " $2 " ") { n++; if (list) print "  zombie " $3 " (" $4 "), parent " $2 }
    END { if (!list) print n + 0 }'
}
declare -A least
for round in 1 2 3; do
  [ "$round" = 1 ] || sleep 1
  for id in $ids; do
    n="$(zombies_in "$id")"
    if [ -z "${least[$id]:-}" ] || [ "$n" -lt "${least[$id]}" ]; then least[$id]="$n"; fi
  done
done
failed=0
for id in $ids; do
  if [ "${least[$id]}" -gt 0 ]; then
    name="$(docker inspect --format '{{.Name}}' "$id")"
    log "FAIL: ${name#/} has ${least[$id]} zombie processes:"
    zombies_in "$id" --list >&2
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
log "ok: no zombie processes in $(echo "$ids" | wc -w) containers"
