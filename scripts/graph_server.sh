#!/usr/bin/env bash
# Start, stop or inspect the local knowledge-graph server (ArcadeDB's Bolt plugin, bundled Java 25).
#   bash scripts/graph_server.sh start|stop|status [--data-dir data/graph] [--port 7687] [--heap 512m]
# The data folder holds the database, the pid file (server.json), the generated root password
# (.root_password, user "root") and server.log. Environment: ZHIKU_GRAPH_DATA_DIR, ZHIKU_GRAPH_BOLT_PORT,
# ZHIKU_GRAPH_HEAP, ZHIKU_GRAPH_JIT, ZHIKU_NEO4J_PASSWORD (root password instead of the generated one).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
[ -x "$python" ] || python=python3
action="${1:-}"
case "$action" in
  start|stop|status) shift; exec "$python" -m zhiku.graph.bolt_server "$action" "$@" ;;
  *) echo "usage: $0 start|stop|status [--data-dir DIR] [--port PORT] [--heap SIZE]" >&2; exit 2 ;;
esac
