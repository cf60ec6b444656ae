#!/bin/bash
# Before and after side by side (issue #14 item 6, fifth sitting, branch s22-ingest14): on a machine at load 20-30 the
# load moves between runs minutes apart more than the change does, so each round starts the "before" and the "after"
# benchmark at the same moment, for both corpora, and compares each side's CPU ratio to its own embedding-only floor.
# before = main 6b885a0 with this branch's benchmark harness (see ingest22_ab.sh); after = AFTER_PP (a commit of this
# branch, extracted with git archive).
# Usage: ROUND=1 AFTER_PP=/tmp/s22/after-930b662 ingest22_pairs.sh
cd /tmp
PY=/work/wt/s22-ingest14/.venv/bin/python
OUT=${OUT:-/tmp/s22/pairs}
mkdir -p $OUT
start() { # label, pythonpath, args
  local label=$1 pp=$2; shift 2
  env PYTHONPATH=$pp nice -n 10 $PY -m zhiku.api.cli bench ingest --corpus /work/shared/eval/rgb_zh/corpus.jsonl \
     "$@" --paths ${PATHS:-api,cli} --output $OUT/$label-r$ROUND.json > $OUT/$label-r$ROUND.log 2>&1 &
}
echo "== round $ROUND start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
start short-before /tmp/s22/base --documents 80
start short-after "$AFTER_PP" --documents 80
start long-before /tmp/s22/base --documents ${LONG_DOCUMENTS:-4} --chunks-per-document 20-50
start long-after "$AFTER_PP" --documents ${LONG_DOCUMENTS:-4} --chunks-per-document 20-50
wait
echo "== round $ROUND end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
for f in $OUT/*-r$ROUND.log; do echo "-- $f"; grep -h '"path"' $f | cut -c1-330; done
