"""Entity and relation extraction: quality on a hand-written gold set, speed on real passages.

Gold (`evaluation/data/extraction_gold.jsonl`, written for this project): one sentence per row with
its entities [name, type] and relations [subject, type, object]. Conventions: administrative units
are separate locations (广东省 / 深圳市), a street address is one; nested names are not annotated
(中国邮政储蓄银行北京分行 is one organisation); relations whose type the extractor has no pattern for
(e.g. "died in") are annotated `related_to` and only count for pair connectivity.

Scores (names compared by `entity_resolution.identity`, after resolution to canonical names):
  - entities: per-type and overall precision / recall / F1 of (name, type); also untyped (name only);
  - typed relations: P/R/F1 of (subject, type, object), `related_to` excluded on both sides;
  - connectivity: share of gold relation pairs joined by any predicted edge, either direction
    (what graph expansion needs for multi-hop).
Speed: chunks per second of the extractor alone over the first N passages of BEIR corpora.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from zhiku.graph.extraction.credit_roles import CreditRoleExtractor, merge_extractions
from zhiku.graph.extraction.chunk_extractor import COOCCURRENCE, ChunkExtractor
from zhiku.graph.extraction.entity_resolution import EntityResolver, identity

GOLD = Path(__file__).resolve().parent / "data" / "extraction_gold.jsonl"


@dataclass
class Prf:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def row(self) -> dict:
        return {"p": round(self.precision, 3), "r": round(self.recall, 3), "f1": round(self.f1, 3),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class SpeedResult:
    corpus: str
    chunks: int
    chars: int
    seconds: float
    entities: int
    relations: int

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0


@dataclass
class ExtractionReport:
    extractor: str
    sentences: int
    entities: dict = field(default_factory=dict)       # type → prf row; "all", "untyped"
    relations: dict = field(default_factory=dict)      # type → prf row; "all"
    connectivity: float = 0.0
    speed: list = field(default_factory=list)
    errors: list = field(default_factory=list)         # per sentence: missed / spurious

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_gold(extractor: ChunkExtractor, resolver: EntityResolver | None, gold: Sequence[dict]) -> ExtractionReport:
    ent: dict[str, Prf] = {}
    rel: dict[str, Prf] = {}
    untyped, connected, pairs = Prf(), 0, 0
    report = ExtractionReport(getattr(extractor, "name", type(extractor).__name__), len(gold))

    def canon(name: str) -> str:
        if resolver:
            hit = resolver.canonical(name)
            if hit:
                return identity(hit[0])
        return identity(name)

    for row in gold:
        result = extractor.extract(row["text"], row.get("heading_path") or ())
        if row.get("document"):  # a row of a named document: the roles and forms of credit materials too
            result = merge_extractions(result, CreditRoleExtractor().extract(row["text"], row["document"]))
        if resolver:
            result = resolver.resolve(result)
        predicted = {(canon(e.name), e.type) for e in result.entities}
        expected = {(canon(n), t) for n, t in row["entities"]}
        for name, type_ in predicted | expected:
            prf = ent.setdefault(type_, Prf())
            if (name, type_) in predicted and (name, type_) in expected:
                prf.tp += 1
            elif (name, type_) in predicted:
                prf.fp += 1
            else:
                prf.fn += 1
        p_names, e_names = {n for n, _ in predicted}, {n for n, _ in expected}
        untyped.tp += len(p_names & e_names)
        untyped.fp += len(p_names - e_names)
        untyped.fn += len(e_names - p_names)
        p_rel = {(canon(r.subject), r.type, canon(r.object)) for r in result.relations}
        e_rel = {(canon(s), t, canon(o)) for s, t, o in row["relations"]}
        p_typed = {r for r in p_rel if r[1] != COOCCURRENCE}
        e_typed = {r for r in e_rel if r[1] != COOCCURRENCE}
        for triple in p_typed | e_typed:
            prf = rel.setdefault(triple[1], Prf())
            if triple in p_typed and triple in e_typed:
                prf.tp += 1
            elif triple in p_typed:
                prf.fp += 1
            else:
                prf.fn += 1
        edges = {frozenset((s, o)) for s, _, o in p_rel}
        for s, _, o in e_rel:
            pairs += 1
            connected += frozenset((s, o)) in edges
        missed = sorted(expected - predicted) + sorted(e_typed - p_typed)
        spurious = sorted(predicted - expected) + sorted(p_typed - e_typed)
        if missed or spurious:
            report.errors.append({"id": row["id"], "missed": missed, "spurious": spurious})
    total_e, total_r = Prf(), Prf()
    for prf in ent.values():
        total_e.tp, total_e.fp, total_e.fn = total_e.tp + prf.tp, total_e.fp + prf.fp, total_e.fn + prf.fn
    for prf in rel.values():
        total_r.tp, total_r.fp, total_r.fn = total_r.tp + prf.tp, total_r.fp + prf.fp, total_r.fn + prf.fn
    report.entities = {t: p.row() for t, p in sorted(ent.items())} | {"all": total_e.row(), "untyped": untyped.row()}
    report.relations = {t: p.row() for t, p in sorted(rel.items())} | {"all": total_r.row()}
    report.connectivity = round(connected / pairs, 3) if pairs else 0.0
    return report


def measure_speed(extractor: ChunkExtractor, corpus: Path, limit: int = 2000,
                  resolver: EntityResolver | None = None) -> SpeedResult:
    texts: list[str] = []
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if len(texts) >= limit:
                break
            row = json.loads(line)
            texts.append(row.get("text") or "")
    extractor.extract("预热 warm-up: 中国人民银行 People's Bank of China")  # loads jieba
    entities = relations = 0
    start = time.perf_counter()
    for text in texts:
        result = extractor.extract(text)
        if resolver:
            result = resolver.resolve(result)
        entities += len(result.entities)
        relations += len(result.relations)
    seconds = time.perf_counter() - start
    return SpeedResult(corpus.parent.name, len(texts), sum(map(len, texts)), seconds, entities, relations)


def evaluate_extraction(extractor: ChunkExtractor, resolver: EntityResolver | None, corpora: Sequence[Path],
                        limit: int = 2000, gold_path: Path = GOLD) -> ExtractionReport:
    report = evaluate_gold(extractor, resolver, load_gold(gold_path))
    for corpus in corpora:
        report.speed.append(asdict(measure_speed(extractor, corpus, limit, resolver)) |
                            {"chunks_per_s": None})
        r = report.speed[-1]
        r["chunks_per_s"] = round(r["chunks"] / r["seconds"], 1) if r["seconds"] else 0.0
        r["chars_per_chunk"] = round(r["chars"] / r["chunks"]) if r["chunks"] else 0
    return report


def format_report(report: ExtractionReport) -> str:
    lines = [f"extractor: {report.extractor}   gold sentences: {report.sentences}", "",
             "entities                 P      R      F1    (tp/fp/fn)"]
    for type_, row in report.entities.items():
        lines.append(f"  {type_:<22}{row['p']:.3f}  {row['r']:.3f}  {row['f1']:.3f}  ({row['tp']}/{row['fp']}/{row['fn']})")
    lines += ["", "typed relations          P      R      F1    (tp/fp/fn)"]
    for type_, row in report.relations.items():
        lines.append(f"  {type_:<22}{row['p']:.3f}  {row['r']:.3f}  {row['f1']:.3f}  ({row['tp']}/{row['fp']}/{row['fn']})")
    lines += ["", f"gold relation pairs joined by any edge (connectivity): {report.connectivity:.3f}", ""]
    for s in report.speed:
        lines.append(f"speed {s['corpus']:<24}{s['chunks']} chunks, {s['chars_per_chunk']} chars/chunk: "
                     f"{s['chunks_per_s']:.0f} chunks/s ({s['entities']} entities, {s['relations']} relations)")
    return "\n".join(lines)


def count_types(extractor: ChunkExtractor, texts: Sequence[str]) -> Counter:
    counter: Counter = Counter()
    for text in texts:
        for e in extractor.extract(text).entities:
            counter[e.type] += 1
    return counter
