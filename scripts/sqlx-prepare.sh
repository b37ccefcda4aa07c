#!/usr/bin/env bash
# Regenerates each service's `.sqlx/` query metadata (committed, so that builds
# check `query!` macros without a database). Needs sqlx-cli:
#   cargo install sqlx-cli --no-default-features --features postgres,native-tls
# Starts a throwaway Postgres, applies each service's migrations to its own
# database, then runs `cargo sqlx prepare` in each service crate.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_ROOT="$PWD"
source scripts/lib/images.sh
select_images
name=testbed-sqlx-prepare
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" -e POSTGRES_PASSWORD=prepare -p 127.0.0.1::5432 "$POSTGRES_IMAGE" >/dev/null
port="$(docker port "$name" 5432/tcp | head -1 | sed 's/.*://')"
until docker exec "$name" pg_isready -U postgres -q 2>/dev/null && \
      PGPASSWORD=prepare psql -h 127.0.0.1 -p "$port" -U postgres -c 'select 1' >/dev/null 2>&1; do sleep 0.5; done

trap 'docker rm -f "$name" >/dev/null' EXIT
for dir in services/*/migrations; do
  service="$(basename "$(dirname "$dir")")"
  url="postgres://postgres:prepare@127.0.0.1:$port/$service"
  sqlx database create --database-url "$url"
  sqlx migrate run --source "$dir" --database-url "$url" >/dev/null
  # Library and binaries only: test targets hold no queries, and compiling
  # them would build other services (dev-dependencies) against this database.
  (cd "services/$service" && DATABASE_URL="$url" SQLX_OFFLINE=false cargo sqlx prepare)
  echo "prepared $service"
done
