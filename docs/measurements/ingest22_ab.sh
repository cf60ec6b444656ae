#!/bin/bash
# Interleaved before/after runs of `zhiku bench ingest --paths api,cli` (issue #14 item 6, fifth sitting, branch s22-ingest14);
# before = main 6b885a0 via PYTHONPATH, with this branch's benchmark harness (evaluation/ingest_benchmark.py and
# api/cli/commands/bench.py copied in, for --chunks-per-document):
#   mkdir -p /tmp/s22/base/zhiku && git archive 6b885a0 | tar -x -C /tmp/s22/base/zhiku && cp <those two files> …
# after = a commit of this branch the same way (AFTER_PP=/tmp/s22/after-<sha>: the code under test stays fixed while
#   the worktree changes; the `zhiku ingest` path imports it in a process of its own)
# Usage: ROUNDS="1 2" CORPUS=short|long SIDES="before after" AFTER_PP=… ingest22_ab.sh
#   short: 80 rgb_zh passages, one document each (1-3 chunks); long: LONG_DOCUMENTS (4: 22, 31, 38, 46 chunks) documents
#   of 20-50 chunks (consecutive passages)
cd /tmp
PY=/work/wt/s22-ingest14/.venv/bin/python
OUT=${OUT:-/tmp/s22/ab}
mkdir -p $OUT
case ${CORPUS:-short} in
  short) ARGS="--documents 80" ;;
  long)  ARGS="--documents ${LONG_DOCUMENTS:-4} --chunks-per-document 20-50" ;;
esac
run() { # label, pythonpath
  local label=$1 pp=$2
  echo "== $label start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  env PYTHONPATH=$pp nice -n 10 $PY -m zhiku.api.cli bench ingest --corpus /work/shared/eval/rgb_zh/corpus.jsonl \
     $ARGS --paths ${PATHS:-api,cli} --output $OUT/${CORPUS:-short}-$label.json > $OUT/${CORPUS:-short}-$label.log 2>&1
  echo "== $label end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg) rc=$?"
  grep -h '"path"' $OUT/${CORPUS:-short}-$label.log | cut -c1-300
}
for r in ${ROUNDS:-1}; do
  for side in ${SIDES:-before after}; do
    if [ $side = before ]; then run before-r$r /tmp/s22/base; else run after-r$r "$AFTER_PP"; fi
  done
done
