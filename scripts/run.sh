#!/usr/bin/env bash
# Installs Zhiku and runs the API with the embedded defaults (SQLite, embedded Qdrant engine,
# offline models) and the demo knowledge base. Open http://127.0.0.1:8000/docs
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/zhiku serve --demo "$@"
