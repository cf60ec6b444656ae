#!/bin/bash
# issue #14 item 6, third sitting (branch s20-ingest14): before/after pairs of `zhiku bench ingest --paths api,cli`,
# run back to back. "before" is main's bbaddd5 code put ahead of the editable install with PYTHONPATH:
#   mkdir -p /tmp/i14/base/zhiku && git archive bbaddd5 | tar -x -C /tmp/i14/base/zhiku          (set A: as it was)
#   set B and C (BASE=/tmp/i14/base2): the same, with its benchmark's _warm() also loading what Runtime.warm_up
#   loads (jieba's dictionary, jieba.posseg through RuleExtractor.extract, detect_injection's weights) before the
#   clock, so both sides time the same work; `after` is this worktree's code (PYTHONPATH empty).
# Usage: TAG=d- BASE=/tmp/i14/base2 ROUNDS="1 2" [OFF=1] ingest14_ab.sh    (raw outputs: ingest14-*.json here)
# Interleaved before/after runs of `zhiku bench ingest` (api, cli); before = bbaddd5's code via PYTHONPATH.
cd /tmp
PY=/work/wt/ingest14/.venv/bin/python
run() { # label, pythonpath, extra env
  local label=$1 pp=$2; shift 2
  echo "== $label start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  env PYTHONPATH=$pp "$@" nice -n 10 $PY -m zhiku.api.cli bench ingest --corpus /work/shared/eval/rgb_zh/corpus.jsonl \
     --documents 80 --paths api,cli --output /tmp/i14/${TAG}ab-$label.json > /tmp/i14/${TAG}ab-$label.log 2>&1
  echo "== $label end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rc=$?"
  grep -h '"path"' /tmp/i14/${TAG}ab-$label.log | cut -c1-200
}
for r in ${ROUNDS:-1 2}; do
  run before-r$r ${BASE:-/tmp/i14/base}
  run after-r$r ""
done
if [ -n "$OFF" ]; then
  run before-off ${BASE:-/tmp/i14/base} ZHIKU_INJECTION_EMBEDDING_STAGE=false
  run after-off "" ZHIKU_INJECTION_EMBEDDING_STAGE=false
fi
