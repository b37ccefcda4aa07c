#!/usr/bin/env bash
# Compose smoke test: up, wait ready, register -> login -> list products ->
# the storefront listing it -> read own profile -> order -> confirmed -> notified, through the gateway (plus
# the admin writing the catalog, bad input getting 4xx, the invariant
# checker finding nothing, and two load workers judged as one run), then
# down. Exits non-zero on the first surprise.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

"$REPO_ROOT/scripts/up.sh"
trap '[ "${KEEP_STACK:-0}" = 1 ] || "$REPO_ROOT/scripts/down.sh" -v >/dev/null 2>&1' EXIT
base="http://127.0.0.1:${GATEWAY_PORT:-8080}"

# request METHOD PATH [BODY] [TOKEN] -> prints the body, checks nothing
request() {
  local args=(-sS -X "$1" "$base$2" -H 'content-type: application/json' -o /tmp/smoke-body -w '%{http_code}')
  [ -n "${3:-}" ] && args+=(--data "$3")
  [ -n "${4:-}" ] && args+=(-H "authorization: Bearer $4")
  curl "${args[@]}"
}
expect() { # STATUS METHOD PATH [BODY] [TOKEN]
  local want="$1"; shift
  local got; got="$(request "$@")"
  if [ "$got" != "$want" ]; then
    log "FAIL: $1 $2 answered $got, expected $want: $(cat /tmp/smoke-body)"
    exit 1
  fi
  log "ok: $1 $2 -> $got"
}
field() { python3 -c "import json,sys; print(json.load(open('/tmp/smoke-body'))$1)"; }

email="smoke-$RANDOM@example.org"
expect 201 POST /api/v1/auth/register "{\"email\":\"$email\",\"password\":\"smoke test password\",\"display_name\":\"Smoke\"}"
expect 200 POST /api/v1/auth/login "{\"email\":\"$email\",\"password\":\"smoke test password\"}"
token="$(field "['access_token']")"

expect 200 POST /api/v1/auth/login '{"email":"admin@shop.local","password":"admin-dev-password-change-me"}'
admin="$(field "['access_token']")"
expect 201 POST /api/v1/categories '{"slug":"smoke","name":"Smoke"}' "$admin"
expect 201 POST /api/v1/products '{"sku":"SMOKE-1","name":"Smoke detector","price_cents":1999,"currency":"EUR","category":"smoke"}' "$admin"

expect 200 GET "/api/v1/products?q=smoke"
[ "$(field "['total']")" -ge 1 ] || { log "FAIL: the new product is not listed"; exit 1; }
# The storefront's catalog page shows it too (web -> gateway -> catalog).
page="$(curl -fsS "http://127.0.0.1:${WEB_PORT:-8088}/?q=smoke")"
grep -q 'Smoke detector' <<<"$page" || { log "FAIL: the storefront does not list the new product: $page"; exit 1; }
log "ok: the storefront lists it"
expect 200 GET /api/v1/users/me "" "$token"
[ "$(field "['email']")" = "$email" ] || { log "FAIL: profile is not the caller's"; exit 1; }
expect 200 GET /api/v1/dashboard "" "$token"

# The order flow: stock, checkout, outcome, notification.
product="$(request GET '/api/v1/products?q=smoke' >/dev/null; field "['items'][0]['id']")"
expect 200 POST "/api/v1/inventory/$product/restock" '{"quantity":5}' "$admin"
# The simulator declines 2 % of good cards at random (for the dashboards);
# the smoke test's good card must go through: no random declines here.
compose exec -T payment-provider curl -fsS -X PUT localhost:8080/admin/behaviour \
  -H 'content-type: application/json' -d '{"latency_ms":40,"jitter_ms":40,"failure_rate":0,"decline_rate":0}' >/dev/null
expect 201 POST /api/v1/orders "{\"items\":[{\"product_id\":$product,\"quantity\":2}],\"payment_method\":\"tok_visa\"}" "$token"
[ "$(field "['status']")" = CONFIRMED ] || { log "FAIL: order not confirmed: $(cat /tmp/smoke-body)"; exit 1; }
expect 201 POST /api/v1/orders "{\"items\":[{\"product_id\":$product,\"quantity\":1}],\"payment_method\":\"tok_decline\"}" "$token"
[ "$(field "['status']")" = CANCELLED ] || { log "FAIL: declined order not cancelled"; exit 1; }
for _ in $(seq 1 60); do
  request GET /api/v1/notifications "" "$token" >/dev/null
  [ "$(field "['total']")" -ge 2 ] && break
  sleep 0.5
done
[ "$(field "['total']")" -ge 2 ] || { log "FAIL: notifications missing: $(cat /tmp/smoke-body)"; exit 1; }
log "ok: order confirmed, declined order cancelled, both notified"
"$REPO_ROOT/scripts/invariants.sh" >&2

# Prometheus scrapes every service and sees the checkouts.
prom="http://127.0.0.1:${PROMETHEUS_PORT:-9090}/api/v1/query"
promql() { curl -sS -G "$prom" --data-urlencode "query=$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "0")'; }
for _ in $(seq 1 60); do
  up="$(promql 'count(up{job!="rabbitmq"} == 1)')"
  orders="$(promql 'sum(orders_total)')"
  [ "${up%.*}" -ge 11 ] && [ "${orders%.*}" -ge 2 ] && break
  sleep 1
done
[ "${up%.*}" -ge 11 ] || { log "FAIL: Prometheus scrapes $up of 11 services"; exit 1; }
[ "${orders%.*}" -ge 2 ] || { log "FAIL: Prometheus does not see the orders ($orders)"; exit 1; }
log "ok: Prometheus scrapes $up services and counts $orders orders"

# The control room's experiment desk: its catalogue mounted, the metrics of
# the load it starts scraped through it (job loadgen).
desk="$(compose exec -T chaos-desk curl -fsS http://127.0.0.1:8475/experiments)" \
  || { log "FAIL: the experiment desk does not answer"; exit 1; }
grep -q '"id":"payments-slow"' <<<"$desk" || { log "FAIL: the desk's catalogue lacks payments-slow: $desk"; exit 1; }
for _ in $(seq 1 60); do
  desk_up="$(promql 'up{job="loadgen", instance="chaos-desk:8475"}')"
  [ "${desk_up%.*}" = 1 ] && break
  sleep 1
done
[ "${desk_up%.*}" = 1 ] || { log "FAIL: Prometheus does not scrape the desk's /load/metrics"; exit 1; }
log "ok: the experiment desk lists $(grep -o '"id"' <<<"$desk" | wc -l) experiments; Prometheus scrapes it"

# Bad input and bad tokens: 4xx in the JSON error shape.
expect 401 GET /api/v1/users/me "" "not-a-token"
[ "$(field "['error']['code']")" = unauthorized ] || exit 1
expect 400 POST /api/v1/auth/login '{not json'
expect 409 POST /api/v1/auth/register "{\"email\":\"$email\",\"password\":\"smoke test password\",\"display_name\":\"Again\"}"
expect 403 POST /api/v1/products '{"sku":"X-1","name":"X","price_cents":1,"currency":"EUR","category":"smoke"}' "$token"
expect 404 GET /api/v1/products/987654321
expect 422 POST /api/v1/orders '{"items":[]}' "$token"
# Two load workers as one run: each its share from one start, scraped by
# Prometheus, judged from the sum (generous thresholds: the point is that
# the run is whole and judged, not how fast this machine is).
"$REPO_ROOT/scripts/load-workers.sh" 2 smoke --threshold 'error-rate<50%' --threshold 'p95<60s' >/tmp/smoke-load 2>&1 \
  || { cat /tmp/smoke-load; log "FAIL: two load workers were not judged as one passing run"; exit 1; }
grep -q "from 2 of 2 workers" /tmp/smoke-load || { cat /tmp/smoke-load; log "FAIL: the judge did not see both workers"; exit 1; }
log "ok: $(grep '^requests:' /tmp/smoke-load)"

log "smoke test passed"
