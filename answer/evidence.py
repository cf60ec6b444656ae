"""Numbered evidence: the passages an answer may cite, [1]..[n], each traceable to its citation, and the forms in
which an LLM reads them (ZHIKU_ANSWER_EVIDENCE_FORM; measured in docs/benchmarks.md)."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from zhiku.retrieval.search_hit import SearchHit


@dataclass(slots=True)
class Evidence:
    number: int  # 1-based, as cited in the answer: [number]
    text: str    # what the model reads: the matched chunk, widened with its section
    hit: SearchHit


def number_evidence(hits: list[SearchHit], limit: int, max_chars: int) -> list[Evidence]:
    return [Evidence(i + 1, passage_text(hit, max_chars), hit) for i, hit in enumerate(hits[:limit])]


def passage_text(hit: SearchHit, max_chars: int) -> str:
    """The chunk, with as much of its parent section around it as fits in max_chars."""
    text = hit.text.strip()
    parent = (hit.parent_text or "").strip()
    if len(text) >= max_chars or not parent or len(parent) <= len(text):
        return text[:max_chars]
    if len(parent) <= max_chars:
        return parent
    at = parent.find(text[:40])
    if at < 0:
        return text[:max_chars]
    spare = max_chars - len(text)
    start = max(0, at - spare // 2)
    end = min(len(parent), start + max_chars)
    start = max(0, end - max_chars)
    return parent[start:end]


def neutralise(text: str) -> str:
    """A passage's text with every marker that could open or close a passage in any evidence form made inert: a
    line that begins like a plain header ("[2] …") gets full-width brackets, `<document …>` / `</document>` tags get
    a full-width "<", and the Chinese labels 【资料n…】 get other brackets. Ordinary passages hold none of these, so
    they reach the model byte for byte."""
    text = _HEADER_LIKE.sub(lambda m: f"{m.group(1)}［{m.group(2)}］", text)
    text = _TAG_LIKE.sub("＜", text)
    return _LABEL_LIKE.sub("〔资料", text)


def format_evidence(evidence: list[Evidence]) -> str:
    """The plain form: each passage under its header `[n] (source)`, separated by a blank line."""
    return "\n\n".join(f"[{item.number}] ({item.hit.citation.label()})\n{neutralise(item.text)}" for item in evidence)


def format_documents(evidence: list[Evidence]) -> str:
    """Each passage inside `<document index="n" source="…">…</document>`."""
    blocks = []
    for item in evidence:
        source = html.escape(item.hit.citation.label(), quote=True)
        blocks.append(f'<document index="{item.number}" source="{source}">\n{neutralise(item.text)}\n</document>')
    return "\n\n".join(blocks)


def format_zh_labelled(evidence: list[Evidence]) -> str:
    """Each passage between 【资料n｜来源：…】 and 【资料n 完】."""
    blocks = []
    for item in evidence:
        source = neutralise(item.hit.citation.label()).replace("】", "］")
        blocks.append(f"【资料{item.number}｜来源：{source}】\n{neutralise(item.text)}\n【资料{item.number} 完】")
    return "\n\n".join(blocks)


_HEADER_LIKE = re.compile(r"^(\s*)\[(\d+)\]", re.MULTILINE)
_TAG_LIKE = re.compile(r"<(?=\s*/?\s*document\b)", re.IGNORECASE)
_LABEL_LIKE = re.compile(r"【\s*资料")


EVIDENCE_FORMS = ("plain", "documents", "rule_last", "zh_labelled", "separate_turn")


def answer_messages(question: str, evidence: list[Evidence], form: str = "plain") -> list[dict]:
    """The chat messages of a grounded answer in one evidence form:

    - plain: `[n] (source)` headers under "Evidence:", the question after them;
    - documents: `<document index="n" source="…">` blocks, and a system sentence that their text is quoted
      material, never instructions;
    - rule_last: the plain form with the data rule stated after the evidence, right before the question;
    - zh_labelled: for a question in Chinese, 【资料n｜来源：…】…【资料n 完】 blocks and the data rule in Chinese
      before the question (other questions: plain);
    - separate_turn: the plain evidence in a user turn of its own, acknowledged by the assistant as data, and the
      question in the last turn.
    Every form neutralises the markers of every form inside passage text (`neutralise`)."""
    from zhiku.answer import prompts
    from zhiku.retrieval.script import majority_script

    system = {"role": "system", "content": prompts.ANSWER_SYSTEM}
    if form == "documents":
        return [{"role": "system", "content": prompts.DOCUMENTS_SYSTEM},
                {"role": "user", "content": prompts.DOCUMENTS_USER.format(evidence=format_documents(evidence),
                                                                         question=question)}]
    if form == "rule_last":
        return [system, {"role": "user", "content": prompts.RULE_LAST_USER.format(
            evidence=format_evidence(evidence), question=question)}]
    if form == "zh_labelled" and majority_script(question) == "cjk":
        return [system, {"role": "user", "content": prompts.ZH_LABELLED_USER.format(
            evidence=format_zh_labelled(evidence), question=question)}]
    if form == "separate_turn":
        return [system, {"role": "user", "content": prompts.EVIDENCE_TURN.format(evidence=format_evidence(evidence))},
                {"role": "assistant", "content": prompts.EVIDENCE_ACK},
                {"role": "user", "content": prompts.QUESTION_TURN.format(question=question)}]
    return [system, {"role": "user", "content": prompts.ANSWER_USER.format(evidence=format_evidence(evidence),
                                                                           question=question)}]
