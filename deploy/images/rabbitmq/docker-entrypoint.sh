#!/usr/bin/env bash
# Writes rabbitmq.conf from the official image's variables, then runs the broker.
set -euo pipefail
conf=/etc/rabbitmq/rabbitmq.conf
if [ "$1" = rabbitmq-server ]; then
  {
    echo "loopback_users.guest = false"
    echo "listeners.tcp.default = 5672"
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
    echo "default_vhost = ${RABBITMQ_DEFAULT_VHOST:-/}"
    echo "management.tcp.port = 15672"
    echo "prometheus.tcp.port = 15692"
  } > "$conf"
  chown rabbitmq:rabbitmq "$conf"
  mkdir -p /var/lib/rabbitmq /var/log/rabbitmq
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
  if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
    printf '%s' "$RABBITMQ_ERLANG_COOKIE" > /var/lib/rabbitmq/.erlang.cookie
    chown rabbitmq:rabbitmq /var/lib/rabbitmq/.erlang.cookie
    chmod 600 /var/lib/rabbitmq/.erlang.cookie
  fi
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
fi
exec "$@"
