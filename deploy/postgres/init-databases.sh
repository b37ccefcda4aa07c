#!/usr/bin/env bash
# One Postgres server, one database per service, each owned by its own role:
# a service can connect to its own database only, so "no service reads
# another's tables" holds by construction. Runs once, at the first start.
# Passwords are development placeholders: <service>-dev-password.
set -euo pipefail
for service in auth users catalog inventory orders payments notifications; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE "$service" LOGIN PASSWORD '$service-dev-password';
CREATE DATABASE "$service" OWNER "$service";
REVOKE CONNECT ON DATABASE "$service" FROM PUBLIC;
SQL
done
