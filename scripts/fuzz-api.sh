#!/usr/bin/env bash
# Fuzzes the running stack's public API against its own OpenAPI documents:
# schemathesis sends generated requests to every operation of v1 and v2, as
# the admin, through the gateway (and the chaos proxies behind it), and
# fails on any 5xx and on any answer whose status, content type or body the
# document does not allow. Bounded: FUZZ_SECONDS per document (45 by
# default), at most 40 requests a second (under the gateway's per-client
# limit). Start the stack first (scripts/up.sh).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
ensure_pypi_tools st:schemathesis
base="http://127.0.0.1:${GATEWAY_PORT:-8080}"
seconds="${FUZZ_SECONDS:-45}"

admin="$(curl -fsS "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@shop.local","password":"admin-dev-password-change-me"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

status=0
for version in v1 v2; do
  log "API $version: $seconds s of generated requests"
  st run "$base/api/$version/openapi.json" --url "$base" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing --max-examples 20 --max-time "$seconds" --rate-limit 40/s \
    --continue-on-failure --suppress-health-check filter_too_much,too_slow --seed 16 --no-color \
    -H "Authorization: Bearer $admin" || status=$?
done
exit "$status"
