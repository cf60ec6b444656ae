"""Reads an evaluation set in the BEIR layout: corpus.jsonl, dev/queries.jsonl, dev/qrels.tsv."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Passage:
    passage_id: str
    title: str
    text: str


@dataclass(slots=True)
class Query:
    query_id: str
    text: str
    group: str | None = None  # search only within this group of the corpus (FinanceBench: the filing)
    raw: dict = field(default_factory=dict)


@dataclass(slots=True)
class BeirDataset:
    name: str
    passages: list[Passage]
    queries: list[Query]
    qrels: dict[str, set[str]]
    passage_group: dict[str, str]  # passage id → group, when queries are scoped to groups

    def evidence_groups(self) -> dict[str, list[set[str]]]:
        """Per query, the evidence groups the set defines (`evidence_groups`: one passage of each is needed)."""
        return {q.query_id: [set(group) for group in q.raw["evidence_groups"]]
                for q in self.queries if q.raw.get("evidence_groups")}

    @classmethod
    def load(cls, folder: Path, split: str = "dev", limit: int | None = None) -> "BeirDataset":
        folder = Path(folder)
        if not (folder / split / "queries.jsonl").exists():
            raise FileNotFoundError(f"{folder} is not a BEIR-layout set: {split}/queries.jsonl is missing")
        corpus_file = folder / "corpus.jsonl"
        grouped = not corpus_file.exists() and (folder / "corpus_pages.jsonl").exists()
        if grouped:  # FinanceBench: page texts "DOC#p<page0>", queries name their filing in doc_name
            corpus_file = folder / "corpus_pages.jsonl"
        qrels: dict[str, set[str]] = {}
        with open(folder / split / "qrels.tsv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if float(row.get("score", 1) or 1) > 0:
                    qrels.setdefault(row["query-id"], set()).add(row["corpus-id"])
        queries = []
        with open(folder / split / "queries.jsonl", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if row["_id"] in qrels:
                    queries.append(Query(row["_id"], row["text"], row.get("doc_name") if grouped else None, row))
        if limit:
            queries = queries[:limit]
        groups = {q.group for q in queries if q.group}
        passages, passage_group = [], {}
        with open(corpus_file, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if grouped:
                    group = row["_id"].split("#p")[0]
                    if group not in groups:
                        continue
                    passage_group[row["_id"]] = group
                passages.append(Passage(row["_id"], row.get("title") or "", row.get("text") or ""))
        if grouped:  # some filings have no PDF text: their questions cannot be answered from the corpus
            known = {p.passage_id for p in passages if p.text.strip()}
            queries = [q for q in queries if qrels[q.query_id] & known]
        return cls(folder.name, passages, queries, qrels, passage_group)
