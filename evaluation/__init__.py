"""Measurement commands (`zhiku eval ...`): retrieval quality, speed and latency on ../shared/eval."""
