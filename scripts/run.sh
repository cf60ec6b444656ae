#!/usr/bin/env bash
# Installs Zhiku and runs the service with the embedded defaults (SQLite, embedded Qdrant engine, local Bolt
# server, offline models) and the demo knowledge base. Open http://127.0.0.1:8000 (the web UI; API docs at /docs).
# With ZHIKU_LLM_START_LOCAL=true it also builds llama.cpp and starts the small local LLM (docs/answers.md).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${ZHIKU_LLM_START_LOCAL:-}" in
  [Tt]rue|1|yes) bash scripts/bootstrap.sh llm ;;
  *) bash scripts/bootstrap.sh ;;
esac
exec .venv/bin/zhiku serve --demo "$@"
