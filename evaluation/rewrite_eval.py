"""`zhiku eval rewrite`: the follow-up rewriter on a labelled multi-turn set the project writes itself.

evaluation/data/conversations.jsonl: one conversation per line — the earlier questions (`history`), the
follow-up (`question`), and what its standalone form must and must not contain (`must_contain`,
`must_not_contain`, case-insensitive). `kind` is `switch` (a follow-up that changes the subject: "那金卡呢？",
"and for small businesses?"), `reference` (a pronoun or an elided subject: "它的年费是多少？") or `standalone`
(a new question the rewriter must leave alone). Correct = every required phrase in, every excluded one out.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from zhiku.core.conversation_store import Turn

CONVERSATIONS = Path(__file__).with_name("data") / "conversations.jsonl"


@dataclass(slots=True)
class RewriteResult:
    id: str
    lang: str
    kind: str
    question: str
    rewritten: str
    correct: bool
    missing: list[str]
    unwanted: list[str]


def load_conversations(path: Path = CONVERSATIONS) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_rewriter(rewriter, conversations: list[dict]) -> list[RewriteResult]:
    results = []
    for item in conversations:
        history = [Turn(q, "") for q in item["history"]]
        rewritten = rewriter.rewrite(item["question"], history)
        low = rewritten.lower()
        missing = [p for p in item.get("must_contain", []) if p.lower() not in low]
        unwanted = [p for p in item.get("must_not_contain", []) if p.lower() in low]
        results.append(RewriteResult(item["id"], item["lang"], item["kind"], item["question"], rewritten,
                                     not missing and not unwanted, missing, unwanted))
    return results


def format_rewrite_report(results: list[RewriteResult]) -> str:
    groups: dict[tuple[str, str], list[RewriteResult]] = defaultdict(list)
    for r in results:
        groups[(r.kind, r.lang)].append(r)
        groups[("all", r.lang)].append(r)
        groups[("all", "all")].append(r)
    lines = ["| kind | language | conversations | correct |", "|---|---|---:|---:|"]
    for (kind, lang), rows in sorted(groups.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        lines.append(f"| {kind} | {lang} | {len(rows)} | {sum(r.correct for r in rows) / len(rows):.3f} |")
    wrong = [r for r in results if not r.correct]
    if wrong:
        lines += ["", "Wrong:"] + [f"- {r.id}: {r.question} → {r.rewritten} (missing {r.missing}, unwanted "
                                   f"{r.unwanted})" for r in wrong]
    return "\n".join(lines)


def to_json(results: list[RewriteResult]) -> str:
    return json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1)
