#!/usr/bin/env bash
# Installs Zhiku with its test extras, makes sure PostgreSQL is up, and runs the whole test suite
# (every metadata-store and API test runs on SQLite and on PostgreSQL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
bash scripts/ensure_postgres.sh
export ZHIKU_TEST_POSTGRES_URL=${ZHIKU_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/postgres}
exec .venv/bin/python -m pytest "$@"
