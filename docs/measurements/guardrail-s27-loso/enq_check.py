"""Scratch: the held-apart English questions (the half text_training holds apart) flagged by the detector with the weights in place."""
import random, sys
from pathlib import Path
from zhiku.guardrails.english_questions import load
from zhiku.guardrails.injection import detect_injections
q = load(Path("/tmp/s27i/en-questions.jsonl")); random.Random(27).shuffle(q)
apart = q[1::2]
found = detect_injections(apart)
print(sys.argv[1], sum(f is not None for f in found), "/", len(apart))
for t, f in zip(apart, found):
    if f: print("  -", f.reason[:70], "|", t[:120].replace("\n", " "))
