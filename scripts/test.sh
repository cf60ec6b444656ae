#!/usr/bin/env bash
# Installs Zhiku with its test extras, makes sure PostgreSQL, RabbitMQ and Redis are up, and runs the whole test suite
# (every metadata-store and API test runs on SQLite and on PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
bash scripts/ensure_postgres.sh
bash scripts/ensure_brokers.sh
export ZHIKU_TEST_POSTGRES_URL=${ZHIKU_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
export ZHIKU_TEST_BROKER_URL=${ZHIKU_TEST_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/}
export ZHIKU_TEST_REDIS_URL=${ZHIKU_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
exec .venv/bin/python -m pytest "$@"
