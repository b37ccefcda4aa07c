#!/usr/bin/env bash
# Builds, when they are missing, the images this project needs on a machine
# that cannot reach a container registry:
#   testbed/debian:bookworm     a Debian base made with debootstrap + docker import
#   testbed/postgres:15         Postgres from Debian's packages, official-image entrypoint contract
#   testbed/rabbitmq:3          RabbitMQ from Debian's packages, official-image env contract
#   testbed/prometheus:2        Prometheus from Debian's packages, official-image CLI contract
# Images that already exist are skipped; FORCE=1 rebuilds them.
# With a registry you do not need this: compose and the tests use the official images.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_IMAGE="testbed/debian:bookworm"

have_image() { [ "${FORCE:-0}" != 1 ] && docker image inspect "$1" >/dev/null 2>&1; }
log() { printf '[images] %s\n' "$*" >&2; }

build_base() {
  if have_image "$BASE_IMAGE"; then log "$BASE_IMAGE exists"; return; fi
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  local rootfs; rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' RETURN
  log "debootstrap bookworm into $rootfs (about a minute)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$MIRROR" >/dev/null
  cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  # Keep images small: no docs, no apt lists.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  log "built $BASE_IMAGE"
}

build_on_base() { # name dir
  local name="$1" dir="$2"
  if have_image "$name"; then log "$name exists"; return; fi
  log "building $name"
  local out; out="$(mktemp)"
  if ! docker build --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$name" "$here/$dir" >"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"; return 1
  fi
  rm -f "$out"
  log "built $name"
}

build_base
build_on_base testbed/postgres:15 postgres
build_on_base testbed/rabbitmq:3 rabbitmq
build_on_base testbed/prometheus:2 prometheus
