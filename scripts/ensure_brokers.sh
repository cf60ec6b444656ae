#!/usr/bin/env bash
# Starts the machine's RabbitMQ (127.0.0.1:5672, guest/guest) and Redis (127.0.0.1:6379) if they do not answer,
# installing them from Debian's packages if absent: the ingestion-worker tests run against both.
set -euo pipefail
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need=()
command -v rabbitmq-server >/dev/null 2>&1 || need+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! port_open 6379; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis \
    --logfile /var/log/redis/ci.log
fi
if ! port_open 5672; then
  rabbitmq-server -detached
fi
for _ in $(seq 1 60); do
  if port_open 5672 && port_open 6379; then exit 0; fi
  sleep 1
done
echo "RabbitMQ (127.0.0.1:5672) or Redis (127.0.0.1:6379) did not start" >&2
exit 1
