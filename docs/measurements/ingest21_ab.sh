#!/bin/bash
# Interleaved before/after runs of `zhiku bench ingest --paths api,cli` (issue #14 item 6, fourth sitting, branch s21-ingest14);
# before = main 91bc086 via PYTHONPATH: mkdir -p /tmp/i21/base/zhiku && git archive 91bc086 | tar -x -C /tmp/i21/base/zhiku
# Usage: ROUNDS="2 3" TAG=F- ingest21_ab.sh   (raw outputs copied here as ingest21-{before,after}-r*.json)
cd /tmp
PY=/work/wt/s21-ingest14/.venv/bin/python
run() { # label, pythonpath, extra env
  local label=$1 pp=$2; shift 2
  echo "== $label start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  env PYTHONPATH=$pp "$@" nice -n 10 $PY -m zhiku.api.cli bench ingest --corpus /work/shared/eval/rgb_zh/corpus.jsonl \
     --documents 80 --paths api,cli --output /tmp/i21/${TAG}ab-$label.json > /tmp/i21/${TAG}ab-$label.log 2>&1
  echo "== $label end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rc=$?"
  grep -h '"path"' /tmp/i21/${TAG}ab-$label.log | cut -c1-260
}
for r in ${ROUNDS:-1}; do
  run before-r$r /tmp/i21/base
  run after-r$r "" $AFTER_ENV
done
