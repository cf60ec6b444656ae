"""`zhiku eval subject-check`: what the subject gate (retrieval/subject_check.py) would refuse, on training data.

Training data only (`../shared/train`: DRCD dev+test, CMRC 2018 trial), the cases the answer selector is fitted on
(evaluation/answer_selector_fit.py `build_cases`: each sampled question's own paragraph among BM25 negatives; the
same article's other paragraphs and BM25's; the question with its year, number or name altered). The gate needs no
embedding, so this is fast. Per set of subject kinds required:

- answerable cases: the share whose every answer-bearing passage would be excluded (a wrongly refused question),
  and how many questions name a subject at all;
- unanswerable cases, per kind: the share whose every passage is excluded (refused by the gate alone, whatever
  the fitted score) and the share of their passages excluded (less evidence for a wrong answer).

Which kinds the gate requires by default was decided on these figures before any evaluation set was run.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from zhiku.evaluation.answer_eval import contains_any
from zhiku.retrieval.subject_check import SubjectCheck

CONFIGURATIONS = (("identifier",), ("name",), ("identifier", "name"), ("rare",), ("identifier", "name", "rare"))
# Chosen before any evaluation set was run: a kind is required by default when it refuses at most about 1 % of the
# answerable training questions (their own paragraph, with its title, lacks it).


def subject_gate_report(train_dir: Path, questions: int = 2000, seed: int = 15,
                        configurations=CONFIGURATIONS) -> dict:
    from zhiku.core.settings import get_settings
    from zhiku.evaluation.answer_selector_fit import build_cases, load_training_sets
    from zhiku.index.sparse_encoder import build_sparse_encoder

    tokenizer = build_sparse_encoder(get_settings().sparse_encoder)
    cases = build_cases(load_training_sets(train_dir), tokenizer.tokenize, questions, seed=seed)
    report: dict = {"questions": questions, "seed": seed, "cases": len(cases), "configurations": {}}
    for kinds in configurations:
        check = SubjectCheck(kinds=kinds)
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        examples: list[dict] = []
        for case in cases:
            question = case.question.question
            kept = set(check.allowed(question, case.hits))
            named = bool(check.subjects(question))
            row = counts[case.kind]
            row["cases"] += 1
            row["named"] += named
            if case.answerable:
                answering = [i for i, h in enumerate(case.hits) if contains_any(h.text, [case.question.answers])]
                refused = bool(answering) and not (kept & set(answering))
                row["refused"] += refused
                if refused and len(examples) < 15:
                    examples.append({"question": question, "subjects": [s.text for s in check.subjects(question)],
                                     "title": case.hits[answering[0]].citation.document_name})
            else:
                row["refused"] += not kept
                row["passages_excluded"] += 1 - len(kept) / max(len(case.hits), 1)
        report["configurations"]["+".join(kinds)] = {
            "by_kind": {kind: {k: (v if k == "cases" else v / row["cases"]) for k, v in row.items()}
                        for kind, row in counts.items()},
            "answerable_refused_examples": examples}
    return report


def format_report(report: dict) -> str:
    kinds = sorted({k for c in report["configurations"].values() for k in c["by_kind"]},
                   key=lambda k: (k != "answerable", k))
    lines = [f"{report['questions']} training questions (seed {report['seed']}), {report['cases']} cases", "",
             "| required | " + " | ".join(f"{k}: named / refused" for k in kinds) + " |",
             "|---|" + "---:|" * len(kinds)]
    for name, conf in report["configurations"].items():
        cells = []
        for k in kinds:
            row = conf["by_kind"].get(k)
            cells.append("—" if row is None else f"{row['named']:.3f} / {row['refused']:.3f} (n={int(row['cases'])})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
