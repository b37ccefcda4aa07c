# Sourced by the scripts: decides which images to use and makes sure they exist.
#
# TESTBED_IMAGES=official  use the official images (postgres:15, rabbitmq:3-management,
#                          prom/prometheus), pulled from a registry;
# TESTBED_IMAGES=local     use images built here from Debian's packages (deploy/images/);
# unset                    official when a registry answers, local otherwise.
# Each name can still be overridden one by one (POSTGRES_IMAGE=...).

OFFICIAL_POSTGRES=postgres:15
OFFICIAL_RABBITMQ=rabbitmq:3-management
OFFICIAL_PROMETHEUS=prom/prometheus:v2.53.0
OFFICIAL_BASE=debian:bookworm-slim

registry_answers() {
  docker image inspect "$OFFICIAL_POSTGRES" >/dev/null 2>&1 && return 0
  timeout 20 docker pull -q "$OFFICIAL_POSTGRES" >/dev/null 2>&1
}

select_images() {
  local mode="${TESTBED_IMAGES:-}"
  if [ -z "$mode" ]; then
    if registry_answers; then mode=official; else mode=local; fi
  fi
  if [ "$mode" = local ]; then
    "$REPO_ROOT/deploy/images/build-local-images.sh"
    : "${POSTGRES_IMAGE:=testbed/postgres:15}"
    : "${RABBITMQ_IMAGE:=testbed/rabbitmq:3}"
    : "${PROMETHEUS_IMAGE:=testbed/prometheus:2}"
    : "${SHOP_BASE_IMAGE:=testbed/debian:bookworm}"
  else
    : "${POSTGRES_IMAGE:=$OFFICIAL_POSTGRES}"
    : "${RABBITMQ_IMAGE:=$OFFICIAL_RABBITMQ}"
    : "${PROMETHEUS_IMAGE:=$OFFICIAL_PROMETHEUS}"
    : "${SHOP_BASE_IMAGE:=$OFFICIAL_BASE}"
  fi
  TESTBED_IMAGES="$mode"
  # The tests read TESTBED_*_IMAGE (see platform::test_util).
  TESTBED_POSTGRES_IMAGE="$POSTGRES_IMAGE"
  TESTBED_RABBITMQ_IMAGE="$RABBITMQ_IMAGE"
  TESTBED_PROMETHEUS_IMAGE="$PROMETHEUS_IMAGE"
  export TESTBED_IMAGES POSTGRES_IMAGE RABBITMQ_IMAGE PROMETHEUS_IMAGE SHOP_BASE_IMAGE \
    TESTBED_POSTGRES_IMAGE TESTBED_RABBITMQ_IMAGE TESTBED_PROMETHEUS_IMAGE
  echo "[images] using $mode images: $POSTGRES_IMAGE, $RABBITMQ_IMAGE, $PROMETHEUS_IMAGE" >&2
}
