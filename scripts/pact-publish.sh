#!/usr/bin/env bash
# Publishes the committed pacts (contracts/pacts/) to the Pact Broker at
# PACT_BROKER_URL, each consumer at the version of this commit and on this
# branch (from git), through the broker's `POST /contracts/publish`.
# Credentials: PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and _PASSWORD.
# The providers' side needs no script: with PACT_BROKER_URL set,
# `cargo test -p contracts` verifies the broker's pacts and publishes results.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
: "${PACT_BROKER_URL:?set PACT_BROKER_URL to the base URL of the broker}"
cd "$REPO_ROOT"

version="$(git rev-parse --short=12 HEAD)"
branch="$(git rev-parse --abbrev-ref HEAD)"
if [ -n "$(git status --porcelain -- contracts/pacts)" ]; then
  log "contracts/pacts has uncommitted changes: commit them, so that version $version means these pacts"
  exit 1
fi

auth=()
if [ -n "${PACT_BROKER_TOKEN:-}" ]; then
  auth=(-H "Authorization: Bearer $PACT_BROKER_TOKEN")
elif [ -n "${PACT_BROKER_USERNAME:-}" ]; then
  auth=(-u "$PACT_BROKER_USERNAME:${PACT_BROKER_PASSWORD:-}")
fi

# One request per consumer, carrying every pact it wrote.
while IFS=$'\t' read -r consumer body; do
  log "publishing $consumer $version ($branch)"
  curl -fsS "${auth[@]}" -H 'Content-Type: application/json' -X POST \
    --data "$body" "${PACT_BROKER_URL%/}/contracts/publish" >/dev/null
done < <(python3 "$REPO_ROOT/scripts/lib/pact_publications.py" "$version" "$branch")
log "published; verify with: PACT_BROKER_URL=$PACT_BROKER_URL cargo test -p contracts --test 'provider_*'"
