#!/usr/bin/env bash
# Brings the whole stack up: builds the images that are missing (here, where
# no registry answers, from Debian's packages), builds the shop's image from
# this checkout, starts everything, waits until every container is ready,
# and prints where to go.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
source "$REPO_ROOT/scripts/lib/images.sh"
select_images
"$REPO_ROOT/scripts/build-shop-image.sh"

# The collector, Jaeger, Loki and Grafana have no local build: they come
# with a registry only.
profiles=()
if [ "$TESTBED_IMAGES" = official ]; then
  profiles=(--profile ui)
else
  export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-none}" OTEL_LOGS_EXPORTER="${OTEL_LOGS_EXPORTER:-none}"
  log "no registry: the collector, Jaeger, Loki and Grafana are left out, traces and log records are not exported (Prometheus runs; log lines keep their trace ids)"
fi
log "starting the stack (project $COMPOSE_PROJECT)"
compose "${profiles[@]}" up -d --no-build --remove-orphans >&2

# Docker probes each container every 30 s, cheap for a stack left running,
# but its first probe also comes only 30 s after the start, and neither
# Docker 20.10 nor compose 1.29 has a faster probe for the start. So while
# the stack starts, this script runs the probes itself, once a second, until
# each has passed once: the shop's services must be ready (their database
# and broker reached: /ready), every other container passes its own
# healthcheck command, or is running when it has none.
probe() { # CONTAINER-ID SERVICE
  local id="$1" service="$2" test=()
  if [[ " ${SHOP_SERVICES[*]} " == *" $service "* ]]; then
    timeout 10 docker exec "$id" curl -fsS -o /dev/null http://127.0.0.1:8080/ready
    return
  fi
  # One word per line (docker inspect ends with an empty one).
  mapfile -t test < <(docker inspect --format '{{if .Config.Healthcheck}}{{range .Config.Healthcheck.Test}}{{println .}}{{end}}{{end}}' "$id" | sed '/^$/d')
  case "${test[0]:-}" in
    CMD) timeout 10 docker exec "$id" "${test[@]:1}" ;;
    CMD-SHELL) timeout 10 docker exec "$id" sh -c "${test[1]}" ;;
    *) [ "$(docker inspect --format '{{.State.Status}}' "$id")" = running ] ;;
  esac
}

declare -A passed=()
deadline=$((SECONDS + ${UP_TIMEOUT_SECS:-240}))
while :; do
  ids="$(compose ps -q)"
  waiting=()
  for id in $ids; do
    [ -n "${passed[$id]:-}" ] && continue
    service="$(docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' "$id")"
    if probe "$id" "$service" >/dev/null 2>&1; then passed[$id]=1; else waiting+=("$service"); fi
  done
  if [ -n "$ids" ] && [ "${#waiting[@]}" -eq 0 ]; then break; fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "not ready in time: ${waiting[*]}"
    compose ps >&2
    compose logs --tail=50 >&2
    exit 1
  fi
  sleep 1
done

port="${GATEWAY_PORT:-8080}"
cat <<MSG
The shop is up and ready.
  The shop in the browser:   http://localhost:${WEB_PORT:-8088}
  Gateway (the public API):  http://localhost:$port/api/v1/products
  Gateway health/metrics:    http://localhost:$port/ready   http://localhost:$port/metrics
  Prometheus:                http://localhost:${PROMETHEUS_PORT:-9090}   (alerts: /alerts)
  RabbitMQ:                  http://localhost:${RABBITMQ_MANAGEMENT_PORT:-15672}   (shop / shop-dev-password)
$([ "$TESTBED_IMAGES" = official ] && printf '  Grafana:                   http://localhost:%s   (dashboards in folder Testbed)\n  Jaeger:                    http://localhost:%s\n' "${GRAFANA_PORT:-3000}" "${JAEGER_PORT:-16686}")
  Admin account:             admin@shop.local / admin-dev-password-change-me
  Logs:                      scripts/compose.sh logs -f gateway
  Stop:                      scripts/down.sh   (add -v to drop the data)
MSG
