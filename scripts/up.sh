#!/usr/bin/env bash
# Brings the whole stack up: builds the images that are missing (here, where
# no registry answers, from Debian's packages), builds the shop's image from
# this checkout, starts everything, waits until every container is healthy,
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

deadline=$((SECONDS + ${UP_TIMEOUT_SECS:-240}))
while :; do
  ids="$(compose ps -q)"
  unhealthy=()
  for id in $ids; do
    state="$(docker inspect --format '{{.Name}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")"
    case "$state" in *" healthy"|*" running") ;; *) unhealthy+=("$state") ;; esac
  done
  if [ -n "$ids" ] && [ "${#unhealthy[@]}" -eq 0 ]; then break; fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "not healthy in time: ${unhealthy[*]}"
    compose ps >&2
    compose logs --tail=50 >&2
    exit 1
  fi
  sleep 2
done

port="${GATEWAY_PORT:-8080}"
cat <<MSG
The shop is up and healthy.
  Gateway (the public API):  http://localhost:$port/api/v1/products
  Gateway health/metrics:    http://localhost:$port/ready   http://localhost:$port/metrics
  Prometheus:                http://localhost:${PROMETHEUS_PORT:-9090}   (alerts: /alerts)
  RabbitMQ:                  http://localhost:${RABBITMQ_MANAGEMENT_PORT:-15672}   (shop / shop-dev-password)
$([ "$TESTBED_IMAGES" = official ] && printf '  Grafana:                   http://localhost:%s   (dashboards in folder Testbed)\n  Jaeger:                    http://localhost:%s\n' "${GRAFANA_PORT:-3000}" "${JAEGER_PORT:-16686}")
  Admin account:             admin@shop.local / admin-dev-password-change-me
  Logs:                      scripts/compose.sh logs -f gateway
  Stop:                      scripts/down.sh   (add -v to drop the data)
MSG
