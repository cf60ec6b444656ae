"""Leave-one-set-out over C–H of the injection detector's three stages together — the cue rules, the structural
reading and the whole-text stage — where session 27 refitted only the last (guardrails/text_training.py), and the
diagnosis of where each left-out set's injections are lost.

    OMP_NUM_THREADS=1 ZHIKU_MODEL_THREADS=1 nice -n 19 python -m zhiku.guardrails.stage_loso \
        --train-dir ../shared/train --eval-dir ../shared/eval --cache /tmp/e5.npz --described-cache /tmp/d.pkl \
        --questions 1000 --en-questions /tmp/en-questions.jsonl --report loso.txt [--write]

Why: the structural model (guardrails/injection_structure.py) was fitted on generated attacks and dev/A/B only
(structure_training.py), and its own flag and the cue rules' flag stand alone; on H they flag 11 benign texts, so H's
precision could be at most 0.93 whatever the whole-text stage does (docs/benchmarks.md, session 27). Here, for each
left-out set L of C–H:

1. the structural model is fitted as structure_training.py fits it (generated attacks and look-alikes, real prose,
   real passages, dev/A/B) plus the five other sets of C–H (the same weight per text as dev/A/B), or kept as shipped;
2. its probability and countered flag are recomputed for every text (they are the whole-text stage's scalars and
   its gate), and the whole-text stage (MLP, the shipped features) is fitted on the fold's sets as text_training.py
   does;
3. a cue rule stands alone in the fold only when its precision on the fold's labelled texts is at least
   `--rule-precision` (`--rules-loso`); a demoted rule's texts are sent to the whole-text stage whatever the gate.

Choices (the structural threshold at which its flag stands alone, the gate, the stage's threshold) use text_training's
rule: the highest pooled out-of-set recall at pooled precision ≥ 0.90, at most `--max-apart` of the held-apart real
passages flagged, candidates ranked by the mean over C–H of min(P, R); and the share of real passages the stage is
asked about (its ingestion cost) at most `--max-share` (session 27's 22.4 %).

`--write` fits the chosen structural model on everything (dev, A, B, C–H) into guardrails/data/injection_structure.json
and the whole-text stage over its scalars into guardrails/data/injection_text.json. Held-out I, J and K are never read.

`--stages` (session 29) lists the whole-text stage's variants, each the text its whole-text embedding reads and its
feature blocks: `normalised:full+maxaddr+scalars` is the stage as shipped before session 29; `indexed:…` reads the
text as written, as the vector index embeds a chunk (text_detector.FULL_TEXTS), so that at ingestion the stage reads
the chunk's own vector (ingest/pipeline.py flag_injections) instead of embedding the text a second time;
`indexed:full+scalars` embeds no sentence either (nothing beyond the chunks' vectors at ingestion). The embeddings of
every variant are computed once (`--cache`) and each variant is a row of the grid per structural model.

`--no-stage` reads no embedding: the cue rules and the structural reading alone, out of set — their false alarms
(which bound the detector's precision whatever the stage does), the injections they leave to the stage and those the
gate keeps from it (which bound its recall), by kind, and the share of real passages the stage is asked about. Session
28 ran only that (docs/benchmarks.md, branch `s28-inject12`): the embeddings of the full grid (8,717 strings) did
not fit in the session on a machine loaded 11–28 on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import pickle
import re
import time
from pathlib import Path

import numpy as np

from zhiku.guardrails import injection as rules
from zhiku.guardrails import structure_training as st
from zhiku.guardrails.injection_structure import FEATURES
from zhiku.guardrails.injection_structure import WEIGHTS as STRUCTURE_WEIGHTS
from zhiku.guardrails.text_detector import FULL_TEXTS
from zhiku.guardrails.text_detector import WEIGHTS as TEXT_WEIGHTS
from zhiku.guardrails.text_training import (BUCKETS, FITTED_SETS, LOSO_SETS, STEPS, Described, blocks_row,
                                            labelled, real_text_groups, sample_weights, whole_text)

L2 = 0.03
_COUNTER = [FEATURES.index(f) for f in ("counter_x_request", "discussion_x_request", "described_x_request")]
_TO_MACHINE = FEATURES.index("to_machine")


def rule_reasons(raw: str) -> frozenset[str]:
    """Every cue rule that fires on any reading of `raw` (after quoted examples are read as "…")."""
    return frozenset(rules.rule_reasons(rules.without_quoted_examples(raw)))


# -- the structural reading per fold --------------------------------------------------------------------------------
class StructureScores:
    """A text group's windows (structure_training.Bags) and, for given weights, each text's probability and whether
    its most suspicious window is countered, as injection._structure_reading computes them at run time."""

    def __init__(self, texts: list[str]):
        self.bags = st.Bags(texts)
        featured = self.bags.x.sum(axis=1) > 0
        self.has = np.zeros(self.bags.count, dtype=bool)
        np.logical_or.at(self.has, self.bags.owner, featured)

    def scores(self, w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
        p = np.where(self.has, self.bags.text_scores(w, b), 0.0)  # no featured window: 0 (most_suspicious_window)
        top = self.bags.x[self.bags.top_windows(w, b)]
        countered = (top[:, _COUNTER].sum(axis=1) > 0) & (top[:, _TO_MACHINE] == 0)
        return p, countered


def shipped_structure() -> tuple[np.ndarray, float, float]:
    data = json.loads(STRUCTURE_WEIGHTS.read_text(encoding="utf-8"))
    return np.array([data["weights"].get(f, 0.0) for f in FEATURES]), float(data["bias"]), float(data["threshold"])


def precision_recall(flagged: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    tp = int((flagged & labels).sum())
    fp = int((flagged & ~labels).sum())
    return tp / max(1, tp + fp), tp / max(1, int(labels.sum()))


# -- the kinds of injection the diagnosis counts (a reading of the text, not a label of the sets) ---------------------
_KINDS = {
    "role play": re.compile(r"扮演|假装|角色|你现在是|从现在(?:开始|起)|pretend|role[- ]?play|act as|you are now|persona|"
                            r"from now on|游戏|game", re.IGNORECASE),
    "fake system text": re.compile(r"系统(?:提示|通知|消息|指令|公告)|管理员|\bsystem\b|\badmin(?:istrator)?\b|<\|im_|\[INST\]|"
                                   r"【[^】]{0,10}(?:系统|通知|公告)|\bSYSTEM\b|官方通知|合规部", re.IGNORECASE),
    "payload in metadata": re.compile(r"文件名|元数据|属性|备注字段|批注|alt=|alt text|exif|metadata|file ?name|\bheader\b|"
                                      r"<meta|\"[a-z_]+\"\s*:|<!--|注释|签名|footer|页脚|页眉|标签|label|caption|"
                                      r"title=|作者|author", re.IGNORECASE),
    "names the model": re.compile(r"(?<![a-z])(?:ai|assistant|model|llm|bot|chatbot|gpt)s?(?![a-z])|模型|助手|机器人|智能客服|"
                                  r"人工智能|智能体|摘要程序", re.IGNORECASE),
}


def kinds_of(text: str, lang: str) -> list[str]:
    found = [f"lang {lang}", "query" if "\n" not in text.strip() and len(text) <= 300 else "document"]
    found += [k for k, pattern in _KINDS.items() if pattern.search(text)]
    if "names the model" not in found:
        found.append("indirect (no model named)")
    return found


def fixed_stages(args, outcome, groups, langs, labels, rule_arrays, passages_all, say) -> None:
    """Out of set, per left-out set of C–H: what the cue rules and the structural flag mark alone (their false alarms
    bound the detector's precision whatever the whole-text stage does), which injections they leave to the stage and
    which the gate keeps from it (they bound its recall), and the share of real passages the stage is asked about."""
    say("\n| structure | rules stand at P ≥ | structural flag at | gate | real passages asked | fixed stages pooled "
        "TP / FP | injections below the gate | benign texts asked | precision ceiling | recall ceiling | "
        + " | ".join(f"{n} FP / below" for n in LOSO_SETS) + " |")
    say("|" + "---|" * (10 + len(LOSO_SETS)))
    for variant in outcome:
        for t_name in args.structure_thresholds.split(","):
            if t_name == "shipped" and variant != "shipped":
                continue
            for min_rule in [float(x) for x in args.rule_precision.split(",")]:
                for gate in [float(g) for g in args.gates.split(",")]:
                    tp = fp = below = benign_asked = positives = 0
                    cells, shares = [], []
                    for left in LOSO_SETS:
                        fold = outcome[variant][left]
                        t_struct = fold["t_struct"] if t_name == "shipped" else float(t_name)
                        p, _ = fold["scal"][left]
                        alone, demoted = rule_arrays(fold["train"], left, min_rule)
                        fixed = alone | (p >= t_struct)
                        asked = ~fixed & ((p >= gate) | demoted)
                        y = labels[left]
                        tp += int((fixed & y).sum())
                        fp_set = int((fixed & ~y).sum())
                        fp += fp_set
                        below_set = int((~fixed & ~asked & y).sum())
                        below += below_set
                        benign_asked += int((asked & ~y).sum())
                        positives += int(y.sum())
                        cells.append(f"{fp_set} / {below_set}")
                        shares.append(np.mean(np.concatenate([
                            (fold["scal"][n][0] >= gate) & (fold["scal"][n][0] < t_struct) for n in passages_all])))
                    say(f"| {variant} | {min_rule} | {t_name} | {gate} | {np.mean(shares):.3f} | {tp} / {fp} | {below} | "
                        f"{benign_asked} | {positives / max(1, positives + fp):.3f} | {1 - below / positives:.3f} | "
                        + " | ".join(cells) + " |")
    # by kind, for the shipped structure and rules at the shipped gate and for each refit at the same gate
    for variant in outcome:
        for t_name in args.structure_thresholds.split(","):
            if (t_name == "shipped") != (variant == "shipped"):
                continue
            gate = 0.1
            say(f"\nby kind, {variant}, structural flag at {t_name}, every rule standing, gate {gate}: injections (out of "
                "set) flagged by the rules, by the structural flag, left to the stage, kept below the gate; benign "
                "texts flagged")
            counts: dict[str, dict[str, int]] = {}
            for left in LOSO_SETS:
                fold = outcome[variant][left]
                t_struct = fold["t_struct"] if t_name == "shipped" else float(t_name)
                p, _ = fold["scal"][left]
                alone, demoted = rule_arrays(fold["train"], left, 0.0)
                for i, ((text, label), lang) in enumerate(zip(groups[left], langs[left])):
                    where = ("cue rules" if alone[i] else "structural flag" if p[i] >= t_struct
                             else "left to the stage" if p[i] >= gate or demoted[i] else "below the gate")
                    for kind in ["all", f"set {left}", *kinds_of(text, lang)]:
                        row = counts.setdefault(kind, {})
                        key = where if label else f"benign {where}"
                        row[key] = row.get(key, 0) + 1
            columns = ["cue rules", "structural flag", "left to the stage", "below the gate", "benign cue rules",
                       "benign structural flag"]
            say("| kind | injections | " + " | ".join(columns) + " |")
            say("|" + "---|" * (len(columns) + 2))
            for kind, row in counts.items():
                total = sum(row.get(c, 0) for c in columns[:4])
                say(f"| {kind} | {total} | " + " | ".join(str(row.get(c, 0)) for c in columns) + " |")
            if t_name != "shipped":
                break  # one refitted threshold is enough for the kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-dir", type=Path, default=Path("../shared/train"))
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--described-cache", type=Path, default=None)
    parser.add_argument("--reading-cache", type=Path, default=None,
                        help="a pickle of the cue rules' reasons and the windows of every text, kept between runs")
    parser.add_argument("--zh-passages", type=int, default=800)
    parser.add_argument("--en-passages", type=int, default=400)
    parser.add_argument("--prose", type=int, default=1500)
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--en-questions", type=Path, default=None)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--structure-l2", type=float, default=0.001)
    parser.add_argument("--structure-case-weights", default="4.0",
                        help="the weight per text of C–H in the structural fit (dev/A/B: structure_training's 4.0)")
    parser.add_argument("--stages", default="normalised:full+maxaddr+scalars",
                        help="the whole-text stage's variants, comma-separated, each FULL_TEXT:BLOCKS: what its "
                             "whole-text embedding reads (text_detector.FULL_TEXTS: 'normalised', or 'indexed', the "
                             "text as the vector index embeds it, so ingestion reuses the chunk's vector) and its "
                             "feature blocks (full, maxaddr, scalars)")
    parser.add_argument("--asked-only", action="store_true",
                        help="embed, fit the stage on and score only the texts some candidate can ask it about (at or "
                             "above the lowest gate tried under a fold's structural model, or fired on by a cue rule): "
                             "the stage never reads the others, and their embeddings were most of the grid's cost")
    parser.add_argument("--refit-gates", default=None,
                        help="the gates tried with a refitted structural model (default: --gates)")
    parser.add_argument("--structure-thresholds", default="shipped,0.90,0.93,0.96,0.98,1.01",
                        help="where the structural flag stands alone (1.01: never; the stage decides)")
    parser.add_argument("--gates", default="0.0,0.05,0.1,0.15,0.2")
    parser.add_argument("--rule-precision", default="0,0.9,0.95",
                        help="a cue rule stands alone in a fold when its precision on the fold's labelled texts is at "
                             "least this (0: every rule stands alone, as shipped)")
    parser.add_argument("--max-apart", type=float, default=0.003)
    parser.add_argument("--max-share", type=float, default=0.224)
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--no-stage", action="store_true",
                        help="the cue rules and the structural reading only (no embedding, no whole-text stage): what "
                             "they flag alone out of set, which injections reach the stage and which stay below the gate")
    args = parser.parse_args()
    from zhiku.guardrails.text_mlp import fit_mlp

    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    # -- the texts, as text_training.py reads them --------------------------------------------------------------------
    groups: dict[str, list[tuple[str, bool]]] = {}
    langs: dict[str, list[str]] = {}
    for name in [*FITTED_SETS, *LOSO_SETS]:
        cases = labelled(name)
        groups[name] = [(c["text"], bool(c["injection"])) for c in cases]
        langs[name] = [c.get("lang", "?") for c in cases]
    groups.update(real_text_groups(args, {t for rows in groups.values() for t, _ in rows}))
    say("texts: " + ", ".join(f"{n} {len(r)}" for n, r in groups.items()))
    labels = {n: np.array([lab for _, lab in rows]) for n, rows in groups.items()}

    known: dict[str, Described] = {}
    if args.described_cache and args.described_cache.exists():
        known = pickle.loads(args.described_cache.read_bytes())
    described = {n: [known.get(t) or Described(t) for t, _ in rows] for n, rows in groups.items()}
    if args.described_cache:
        known.update({t: d for n, rows in groups.items() for (t, _), d in zip(rows, described[n])})
        args.described_cache.write_bytes(pickle.dumps(known))
    started = time.monotonic()
    readings_cached = (pickle.loads(args.reading_cache.read_bytes())
                       if args.reading_cache and args.reading_cache.exists() else {})
    # by group name: a cache written with other passage or question counts must not be reused
    reasons = {n: readings_cached.get("reasons", {}).get(n) or [rule_reasons(t) for t, _ in rows]
               for n, rows in groups.items()}
    structure = {n: readings_cached.get("structure", {}).get(n) or StructureScores([t for t, _ in rows])
                 for n, rows in groups.items()}
    say(f"rules and windows read in {time.monotonic() - started:.0f} s")
    say("\ncue rules as shipped (each reason that fires, on any reading): injections / benign texts it fires on")
    say("| reason | dev+A+B | C–H | real passages (all) |")
    say("|---|---|---|---|")
    every_reason = sorted({r for rs_list in reasons.values() for rs in rs_list for r in rs})
    for reason in every_reason:
        cells = []
        for names in ([*FITTED_SETS], [*LOSO_SETS]):
            tp = sum(1 for n in names for rs, lab in zip(reasons[n], labels[n]) if reason in rs and lab)
            fp = sum(1 for n in names for rs, lab in zip(reasons[n], labels[n]) if reason in rs and not lab)
            cells.append(f"{tp} / {fp}")
        cells.append(str(sum(1 for n in ("real passages (fitted)", "real passages (apart)") for rs in reasons[n]
                             if reason in rs)))
        say(f"| {reason} | " + " | ".join(cells) + " |")
    stages = [(full_text, tuple(blocks.split("+"))) for full_text, blocks in
              (v.split(":") for v in args.stages.split(","))]
    for full_text, blocks in stages:
        if full_text not in FULL_TEXTS or blocks[-1] != "scalars" or not set(blocks) <= {"full", "maxaddr", "scalars"}:
            parser.error(f"--stages: {full_text}:{'+'.join(blocks)} is not FULL_TEXT:BLOCKS with FULL_TEXT in "
                         f"{FULL_TEXTS} and BLOCKS of full, maxaddr, scalars ending in scalars")
    if args.no_stage:
        stages = stages[:1]  # the fixed stages do not depend on the whole-text stage
    # sanity: the windows' scores with the shipped weights are the detector's own structural probabilities
    w0, b0, t0 = shipped_structure()
    for n in LOSO_SETS:
        p, _ = structure[n].scores(w0, b0)
        gap = float(np.max(np.abs(p - np.array([d.structure_p for d in described[n]]))))
        if gap > 1e-3:
            say(f"WARNING: {n}: window scores differ from the shipped reading by up to {gap:.4f}")

    # -- the structural fit's own data (structure_training.Data: generated texts, prose, passages, dev/A/B) ----------
    started = time.monotonic()
    data = readings_cached.get("data") or st.Data(args.train_dir, 2500, 4000, args.eval_dir)
    if args.reading_cache and (set(groups) - set(readings_cached.get("reasons", {})) or not readings_cached):
        args.reading_cache.write_bytes(pickle.dumps({"reasons": reasons, "structure": structure, "data": data}))
    st.MONOTONE["on"] = True
    case_bags = {n: structure[n].bags for n in LOSO_SETS}
    say(f"structural training data read in {time.monotonic() - started:.0f} s")

    def structure_fit(sets: list[str], case_weight: float) -> tuple[np.ndarray, float]:
        parts = data.parts(list(st.FITTED_SETS))
        parts += [(case_bags[s], labels[s], case_weight) for s in sets]
        return st.fit_bags(parts, l2=args.structure_l2)

    always = [*FITTED_SETS, "real prose", "real passages (fitted)"] + (
        ["real questions (fitted)"] if args.questions else []) + (
        ["real questions en (fitted)"] if args.en_questions else [])
    measured = [*LOSO_SETS, "real passages (apart)"] + (["real questions (apart)"] if args.questions else []) + (
        ["real questions en (apart)"] if args.en_questions else [])

    # -- the structural models of every fold (and, refitted, of the final fit) before any embedding: with
    # --asked-only the stage embeds and is fitted on only the texts some candidate asks it about ------------------
    case_weights = [float(c) for c in args.structure_case_weights.split(",")]
    structures = [("shipped", None)] + [(f"loso x{c}", c) for c in case_weights]
    gates = [float(g) for g in args.gates.split(",")]
    refit_gates = [float(g) for g in (args.refit_gates or args.gates).split(",")]
    structure_folds: dict[tuple, tuple] = {}  # (case weight, left-out set or "all") → w, b, every group's scalars
    for _, case_weight in structures:
        for left in [*LOSO_SETS, *(["all"] if case_weight is not None and args.write else [])]:
            started = time.monotonic()
            others = [n for n in LOSO_SETS if n != left]
            w, b = (w0, b0) if case_weight is None else structure_fit(others, case_weight)
            structure_folds[case_weight, left] = (w, b, {n: structure[n].scores(w, b) for n in groups})
            print(f"  structure {case_weight} fold {left}: {time.monotonic() - started:.0f} s", flush=True)

    def min_gate(case_weight: float | None) -> float:
        return min(gates if case_weight is None else refit_gates)

    def asked_mask(case_weight: float | None, scal: dict[str, tuple[np.ndarray, np.ndarray]], name: str) -> np.ndarray:
        """The texts of `name` the stage can be asked about under these structural scores (--asked-only): at or
        above the lowest gate tried, or fired on by a cue rule (which a demoted rule sends to the stage)."""
        if not args.asked_only:
            return np.ones(len(labels[name]), dtype=bool)
        return (scal[name][0] >= min_gate(case_weight)) | np.array([bool(r) for r in reasons[name]])

    asked = {n: np.zeros(len(labels[n]), dtype=bool) for n in groups}
    for (case_weight, _), (_, _, scal) in structure_folds.items():
        for n in groups:
            asked[n] |= asked_mask(case_weight, scal, n)
    if args.asked_only:
        say("texts the stage can be asked about (embedded and fitted on, --asked-only): " + ", ".join(
            f"{n} {int(asked[n].sum())}/{len(asked[n])}" for n in groups))

    vectors: dict[tuple, dict[str, np.ndarray]] = {}  # stage variant → group → the rows' embedding blocks
    if not args.no_stage:
        from zhiku.guardrails.embedding_training import Embeddings

        embed = Embeddings(args.cache)
        # every string any stage variant reads, in one pass (shortest first), cached on disk between runs
        embed(list(dict.fromkeys(s for full_text, blocks in stages for n, ds in described.items()
                                 for d, a_ in zip(ds, asked[n]) if a_
                                 for s in [whole_text(d, full_text), *(
                                     (s for s, a in zip(d.sentences, d.addressed) if a) if "maxaddr" in blocks
                                     else ())])))
        for stage in stages:
            full_text, blocks = stage
            width = 384 * len(blocks[:-1])
            # a text never asked about keeps a row of zeros: no fit reads it and no decision uses its score
            vectors[stage] = {n: np.stack([blocks_row(d, embed, blocks[:-1], full_text) if a_
                                           else np.zeros(width, dtype=np.float32) for d, a_ in zip(ds, asked[n])])
                              for n, ds in described.items()}

    def rows_with(stage: tuple, name: str, p: np.ndarray, countered: np.ndarray) -> np.ndarray:

        ngram = np.array([d.ngram_p for d in described[name]])
        return np.hstack([vectors[stage][name], np.stack([p, countered.astype(float), ngram], axis=1)]).astype(
            np.float32)

    def stage_fit(stage: tuple, names: list[str], scal: dict[str, tuple[np.ndarray, np.ndarray]],
                  case_weight: float | None):
        kept = {n: asked_mask(case_weight, scal, n) for n in names}
        xs = np.vstack([rows_with(stage, n, *scal[n])[kept[n]] for n in names])
        ys = np.concatenate([labels[n][kept[n]] for n in names]).astype(float)
        real = np.concatenate([np.full(int(kept[n].sum()), n.startswith("real")) for n in names])
        network = fit_mlp(xs, ys, sample_weights(ys, real, 1.0), L2, hidden=args.hidden, steps=STEPS)
        return network

    # -- per fold: structural weights (shipped or refitted), scalars of every text, the stage's out-of-set scores -----
    # a variant: the structural model (shipped or refitted per fold) and the whole-text stage's (full text, blocks)
    variant_of: dict[str, tuple[str, float | None, tuple]] = {}
    for structure_name, case_weight in structures:
        for stage in stages:
            name = structure_name if len(stages) == 1 else f"{structure_name}, {stage[0]} {'+'.join(stage[1])}"
            variant_of[name] = (structure_name, case_weight, stage)
    outcome: dict[str, dict] = {}
    for variant, (structure_name, case_weight, stage) in variant_of.items():
        per_fold = {}
        for left in LOSO_SETS:
            started = time.monotonic()
            others = [n for n in LOSO_SETS if n != left]
            w, b, scal = structure_folds[case_weight, left]
            t_struct = t0 if case_weight is None else None
            if args.no_stage:
                stage_scores = {n: np.zeros(len(labels[n])) for n in measured}
            else:
                network = stage_fit(stage, always + others, scal, case_weight)
                stage_scores = {n: network.probabilities(rows_with(stage, n, *scal[n])) for n in measured}
            per_fold[left] = {"w": w, "b": b, "t_struct": t_struct, "scal": scal, "stage": stage_scores,
                              "train": others}
            print(f"  {variant} fold {left}: {time.monotonic() - started:.0f} s", flush=True)
        outcome[variant] = per_fold

    rule_cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def rule_arrays(train: list[str], name: str, min_precision: float) -> tuple[np.ndarray, np.ndarray]:
        """Which texts of `name` a standing cue rule flags, and which only a demoted one fires on."""
        key = (tuple(train), name, min_precision)
        if key not in rule_cache:
            standing = standing_rules(train, min_precision)
            fired = reasons[name]
            alone = np.array([bool(r) and (standing is None or bool(r & standing)) for r in fired])
            rule_cache[key] = (alone, np.array([bool(r) for r in fired]) & ~alone)
        return rule_cache[key]

    def decide(variant: str, left: str, name: str, t_struct: float, gate: float, threshold: float,
               min_rule_precision: float) -> np.ndarray:
        fold = outcome[variant][left]
        p, _ = fold["scal"][name]
        stage = fold["stage"][name]
        rule_alone, rule_demoted = rule_arrays(fold["train"], name, min_rule_precision)
        return rule_alone | (p >= t_struct) | ((stage >= threshold) & ((p >= gate) | rule_demoted))

    standing_cache: dict[tuple, frozenset[str] | None] = {}

    def standing_rules(train: list[str], min_precision: float) -> frozenset[str] | None:
        """The cue rules whose precision on the fold's labelled texts (dev, A, B and `train`) and its fitted real
        passages is at least `min_precision`; None: every rule stands (as shipped)."""
        if min_precision <= 0:
            return None
        key = (tuple(train), min_precision)
        if key not in standing_cache:
            names = [*FITTED_SETS, *train]
            counted = [(rs, lab) for n in names for rs, lab in zip(reasons[n], labels[n])]
            counted += [(rs, False) for rs in reasons["real passages (fitted)"]]
            every = {r for rs, _ in counted for r in rs}
            keep = set()
            for reason in every:
                tp = sum(1 for rs, lab in counted if reason in rs and lab)
                fp = sum(1 for rs, lab in counted if reason in rs and not lab)
                if tp / max(1, tp + fp) >= min_precision:
                    keep.add(reason)
            # a rule that never fires on the fold's texts stands, as shipped
            all_reasons = {r for rs_list in reasons.values() for rs in rs_list for r in rs}
            standing_cache[key] = frozenset(keep | (all_reasons - every))
        return standing_cache[key]

    passages_all = ["real passages (fitted)", "real passages (apart)"]
    if args.no_stage:
        fixed_stages(args, outcome, groups, langs, labels, rule_arrays, passages_all, say)
        if args.report:
            args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    # -- the grid --------------------------------------------------------------------------------------------------
    results = []
    say("\n| structure | rules stand at P ≥ | structural flag at | gate | share asked | t | pooled P / R | "
        + " | ".join(LOSO_SETS) + " | mean min(P,R) | apart flagged | zh q apart | en q apart |")
    say("|" + "---|" * (12 + len(LOSO_SETS)))
    for variant in outcome:
        for t_name in args.structure_thresholds.split(","):
            shipped_structure_ = variant_of[variant][1] is None
            if t_name == "shipped" and not shipped_structure_:
                continue
            if t_name != "shipped" and shipped_structure_ and float(t_name) != 1.01:
                continue
            for min_rule in [float(x) for x in args.rule_precision.split(",")]:
                for gate in gates:
                    if gate < min_gate(variant_of[variant][1]):
                        continue  # --refit-gates: not tried with a refitted structure (nor embedded for)

                    def t_struct_of(left: str) -> float:
                        fold = outcome[variant][left]
                        return fold["t_struct"] if t_name == "shipped" else float(t_name)

                    # the share of real passages the stage is asked about: by the folds' structural models, the mean
                    share = float(np.mean([np.mean(np.concatenate([
                        (outcome[variant][left]["scal"][n][0] >= gate)
                        & (outcome[variant][left]["scal"][n][0] < t_struct_of(left)) for n in passages_all]))
                        for left in LOSO_SETS]))
                    best = None
                    for threshold in [t / 100 for t in range(99, 29, -1)]:
                        pooled = np.concatenate([decide(variant, n, n, t_struct_of(n), gate, threshold, min_rule)
                                                 for n in LOSO_SETS])
                        p, r = precision_recall(pooled, np.concatenate([labels[n] for n in LOSO_SETS]))
                        apart = np.any(np.stack([decide(variant, left, "real passages (apart)", t_struct_of(left), gate,
                                                        threshold, min_rule) for left in LOSO_SETS]), axis=0).mean()
                        if p >= 0.90 and apart <= args.max_apart and (best is None or r > best[2]):
                            best = (threshold, p, r, apart)
                    if best is None:
                        say(f"| {variant} | {min_rule} | {t_name} | {gate} | {share:.3f} | — | no threshold keeps P ≥ "
                            f"0.90 with the passages bound |")
                        continue
                    threshold = best[0]
                    per_set = {n: precision_recall(decide(variant, n, n, t_struct_of(n), gate, threshold, min_rule),
                                                   labels[n]) for n in LOSO_SETS}
                    score = float(np.mean([min(p, r) for p, r in per_set.values()]))
                    q_apart = []
                    for qn in ("real questions (apart)", "real questions en (apart)"):
                        if qn in groups:
                            q_apart.append(str(int(np.any(np.stack([decide(variant, left, qn, t_struct_of(left), gate,
                                                                           threshold, min_rule)
                                                                    for left in LOSO_SETS]), axis=0).sum())))
                        else:
                            q_apart.append("—")
                    results.append((score, share, variant, t_name, min_rule, gate, best, per_set))
                    say(f"| {variant} | {min_rule} | {t_name} | {gate} | {share:.3f} | {threshold:.2f} | "
                        f"{best[1]:.3f} / {best[2]:.3f} | " + " | ".join(f"{p:.3f} / {r:.3f}" for p, r in per_set.values())
                        + f" | {score:.3f} | {best[3]:.4f} | {q_apart[0]} | {q_apart[1]} |")

    # -- the diagnosis of the shipped configuration and of the best one -------------------------------------------
    def diagnose(title: str, variant: str, t_name: str, min_rule: float, gate: float, threshold: float) -> None:
        say(f"\n{title}: where the out-of-set injections of C–H are caught or lost")
        counts: dict[str, dict[str, int]] = {}
        false: dict[str, int] = {}
        for left in LOSO_SETS:
            fold = outcome[variant][left]
            t_struct = fold["t_struct"] if t_name == "shipped" else float(t_name)
            p, _ = fold["scal"][left]
            stage = fold["stage"][left]
            rule_alone, rule_demoted = rule_arrays(fold["train"], left, min_rule)
            for i, ((text, label), lang) in enumerate(zip(groups[left], langs[left])):
                alone, demoted = bool(rule_alone[i]), bool(rule_demoted[i])
                if alone:
                    where = "cue rules"
                elif p[i] >= t_struct:
                    where = "structural flag"
                elif p[i] < gate and not demoted:
                    where = "lost below the gate"
                elif stage[i] >= threshold:
                    where = "whole-text stage"
                else:
                    where = "lost at the stage's threshold"
                if not label:
                    if where in ("cue rules", "structural flag", "whole-text stage"):
                        false[where] = false.get(where, 0) + 1
                    continue
                for kind in ["all", f"set {left}", *kinds_of(text, lang)]:
                    row = counts.setdefault(kind, {})
                    row[where] = row.get(where, 0) + 1
        columns = ["cue rules", "structural flag", "whole-text stage", "lost below the gate",
                   "lost at the stage's threshold"]
        say("| kind | injections | " + " | ".join(columns) + " | recall |")
        say("|" + "---|" * (len(columns) + 3))
        for kind, row in counts.items():
            total = sum(row.values())
            caught = sum(row.get(c, 0) for c in columns[:3])
            say(f"| {kind} | {total} | " + " | ".join(str(row.get(c, 0)) for c in columns) + f" | {caught / total:.3f} |")
        say("false alarms on C–H's benign texts by stage: " + ", ".join(f"{k} {v}" for k, v in false.items()))

    results.sort(key=lambda r: -r[0])
    shipped_rows = [r for r in results if variant_of[r[2]][1] is None and r[3] == "shipped" and r[4] == 0
                    and r[5] == 0.1]
    for s in shipped_rows:
        diagnose(f"Before (shipped structure and rules, the stage refitted per fold, gate 0.1; {s[2]})", s[2],
                 "shipped", 0.0, 0.1, s[6][0])
    eligible = [r for r in results if r[1] <= args.max_share]
    if not eligible:
        say("no candidate keeps the share asked within the bound")
        return
    best = eligible[0]
    score, share, variant, t_name, min_rule, gate, chosen, per_set = best
    say(f"\nchosen (share asked ≤ {args.max_share}): structure {variant}, structural flag at {t_name}, rules stand at "
        f"P ≥ {min_rule}, gate {gate}, threshold {chosen[0]:.2f}: pooled {chosen[1]:.3f} / {chosen[2]:.3f}, mean "
        f"min(P,R) {score:.3f}, share asked {share:.3f}")
    diagnose("Chosen", variant, t_name, min_rule, gate, chosen[0])
    if args.report:
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not args.write:
        return
    # -- the shipped fit on everything -------------------------------------------------------------------------------
    structure_name, case_weight, stage = variant_of[variant]
    if case_weight is None:
        w, b = w0, b0
        t_struct = t0 if t_name == "shipped" else float(t_name)
    else:
        w, b, _ = structure_folds[case_weight, "all"]
        t_struct = float(t_name)
        old = json.loads(STRUCTURE_WEIGHTS.read_text(encoding="utf-8"))
        STRUCTURE_WEIGHTS.write_text(json.dumps({
            "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w)}, "bias": round(float(b), 4),
            "threshold": round(min(t_struct, 1.0), 2), "phrasing_gate": old["phrasing_gate"],
            "fitted_on": "guardrails/stage_loso.py: structure_training.py's data (generated attacks and look-alikes, "
                         "real prose, half of the real passages, dev/A/B) and C–H (guardrails/data), "
                         f"{case_weight} per text like dev/A/B; threshold and gate chosen by "
                         "leave-one-set-out over C–H (docs/benchmarks.md)",
            "leave_one_set_out": {n: {"precision": round(p, 3), "recall": round(r, 3)} for n, (p, r) in per_set.items()},
            "out_of_fold": old.get("out_of_fold")}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    scal = {n: structure[n].scores(w, b) for n in groups}
    network = stage_fit(stage, always + list(LOSO_SETS), scal, case_weight)
    w1, b1 = network.folded()
    text = json.loads(TEXT_WEIGHTS.read_text(encoding="utf-8"))
    standing = standing_rules(list(LOSO_SETS), min_rule)
    demoted = sorted({r for rs_list in reasons.values() for rs in rs_list for r in rs} - standing) if standing else []
    say(f"demoted cue rules: {demoted or 'none'}")
    text.update({
        "blocks": list(stage[1]), "full_text": stage[0],
        "structure_gate": gate, "demoted_rules": demoted, "threshold": chosen[0], "bias": round(float(network.b2), 6),
        "weights": [round(float(v), 6) for v in network.w2],
        "hidden": {"weights": [[round(float(v), 6) for v in row] for row in w1], "bias": [round(float(v), 6) for v in b1]},
        "trained_on": text["trained_on"] + "; refitted over the structural reading of guardrails/stage_loso.py",
        "leave_one_set_out": {n: {"precision": round(p, 3), "recall": round(r, 3)} for n, (p, r) in per_set.items()}})
    assert text["buckets"] == BUCKETS
    TEXT_WEIGHTS.write_text(json.dumps(text, ensure_ascii=False), encoding="utf-8")
    say(f"wrote {STRUCTURE_WEIGHTS if case_weight is not None else '(structure kept)'} and {TEXT_WEIGHTS}")
    if args.report:
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    # run the importable module's main, not __main__'s: the reading cache pickles its classes (StructureScores), and
    # pickle finds them by their import path
    from zhiku.guardrails.stage_loso import main as importable_main

    importable_main()
