"""History-aware query rewriting: a follow-up question becomes one retrieval can answer on its own.

"它的年费是多少？" after "白金信用卡怎么申请？" must search for the card's annual fee. A follow-up that switches
the subject ("那金卡呢？", "and for small businesses?") is rewritten by rule, always: the previous standalone
question with its subject replaced by the new one ("白金卡的年费是多少？" → "金卡的年费是多少？"), never the new
subject appended to the old question. The replaced term is the one that shares the new subject's head (卡 in
白金卡/金卡, card in platinum card/gold card), else the previous question's first noun; in English, a "for …"
phrase is replaced or added. Other follow-ups: with an LLM the question is rewritten by the model (checked: one
line, not much longer than history + question); without one, or when the model fails, a question that refers
back (pronouns, "这个", "that") or is too short to stand alone gets the previous question's key terms in front
of it. `zhiku eval rewrite` measures this on a labelled multi-turn set (evaluation/data/conversations.jsonl).
"""
from __future__ import annotations

import logging
import os
import re

from zhiku.answer.llm_client import LlmClient
from zhiku.answer.prompts import REWRITE_SYSTEM
from zhiku.core.conversation_store import Turn
from zhiku.core.errors import LlmUnavailable
from zhiku.index.sparse_encoder import SparseEncoder

log = logging.getLogger(__name__)

_REFERS_BACK = re.compile(r"它|它们|其|该|这个|这些|那个|那些|此|上述|前者|后者|他们|她们|这款|这项|这种|那种|"
                          r"\b(?:it|its|they|them|their|that|those|this|these|the same)\b", re.I)
_MIN_STANDALONE_TERMS = 3
_MAX_PREFIX_TERMS = 6
# "那金卡呢？", "金卡呢", "那么对公客户呢？", "换成金卡呢"; "and for small businesses?", "what about the gold card?"
_SWITCH_ZH = re.compile(r"^(?:那么?|那如果是|如果是|换成|改成|那换成)?\s*(?P<entity>[^，,。？?！!呢]{1,20}?)\s*(?:的话)?呢\s*[？?]?$")
_SWITCH_EN = re.compile(r"^(?:and|but|so)?\s*(?:what|how)?\s*(?:about|if it is|for)?\s*(?P<for>for\s+)?"
                        r"(?P<entity>[^?]{2,60}?)\s*(?:instead)?\s*\?*$", re.I)
_PRONOUN_ZH = re.compile(r"它们|它|该产品|这个产品|这款产品|此产品|这款|该")
_SWITCH_EN_START = re.compile(r"^(?:and|but|what about|how about|and what about|and how about)\b", re.I)
_EN_DETERMINERS = {"the", "a", "an", "our", "my", "your", "their", "its", "this", "that"}
_EN_STOP = _EN_DETERMINERS | {"of", "for", "to", "in", "on", "is", "are", "what", "how", "which", "do", "does",
                              "can", "i", "we", "much", "many", "long", "when", "who", "with", "and", "or"}


class QueryRewriter:
    def __init__(self, tokenizer: SparseEncoder, llm: LlmClient | None = None):
        self.tokenizer = tokenizer
        self.llm = llm

    def rewrite(self, question: str, history: list[Turn]) -> str:
        question = question.strip()
        if not history:
            return question
        switched = self.switch_subject(question, self.standalone_history(history))
        if switched is not None:
            return switched
        if not self.needs_context(question):
            return question
        if self.llm is not None:
            rewritten = self._llm_rewrite(question, history)
            if rewritten:
                return rewritten
        return self._rule_rewrite(question, history)

    def standalone_history(self, history: list[Turn]) -> list[str]:
        """Each earlier question as it stood alone (a subject switch after a subject switch builds on the
        rewritten one), by rule only."""
        out: list[str] = []
        for turn in history:
            q = turn.question.strip()
            switched = self.switch_subject(q, out) if out else None
            out.append(switched or q)
        return out

    def switch_subject(self, question: str, previous: list[str]) -> str | None:
        """The previous standalone question about the follow-up's new subject, or None when the follow-up is
        not a subject switch ("那金卡呢？", "and for small businesses?")."""
        if not previous:
            return None
        last = previous[-1]
        zh = _SWITCH_ZH.match(question)
        if zh and re.search(r"[\u4e00-\u9fff]", question):
            entity = zh.group("entity").strip()
            if not entity or _REFERS_BACK.search(entity) and len(entity) <= 2:
                return None
            return _replace_zh(last, entity, self.tokenizer)
        if _SWITCH_EN_START.match(question) and len(question) <= 80:
            en = _SWITCH_EN.match(re.sub(r"^(?:and|but|so)\s+(?:what|how)\s+about\b|^(?:what|how)\s+about\b|"
                                         r"^(?:and|but|so)\b", "", question.strip(), flags=re.I).strip())
            if en and en.group("entity").strip():
                return _replace_en(last, en.group("entity").strip(), bool(en.group("for")))
        return None

    def needs_context(self, question: str) -> bool:
        return bool(_REFERS_BACK.search(question)) or len(self.tokenizer.tokenize(question)) < _MIN_STANDALONE_TERMS

    def _rule_rewrite(self, question: str, history: list[Turn]) -> str:
        # A pronoun stands for the previous question's subject: "它能提前支取吗" → "大额存单能提前支取吗".
        pronoun = _PRONOUN_ZH.search(question)
        if pronoun:
            subject = _first_name(self.standalone_history(history)[-1])
            if subject and subject not in question:
                return question[:pronoun.start()] + subject + question[pronoun.end():]
        own = set(self.tokenizer.tokenize(question))
        for turn in reversed(history):
            terms = [t for t in dict.fromkeys(self.tokenizer.tokenize(turn.question)) if t not in own]
            # Longer terms first: the names (白金信用卡, 稳盈系列) carry the reference, not the verbs.
            terms = sorted(terms, key=len, reverse=True)[:_MAX_PREFIX_TERMS]
            # The search segmentation repeats parts of long words (信用 in 信用卡): keep the longest.
            terms = [t for t in terms if not any(t != other and t in other for other in terms)]
            if terms:
                ordered = [t for t in dict.fromkeys(self.tokenizer.tokenize(turn.question)) if t in terms]
                return " ".join(ordered) + " " + question
        return question

    def _llm_rewrite(self, question: str, history: list[Turn]) -> str | None:
        lines = []
        for turn in history[-3:]:
            lines.append(f"User: {turn.question}\nAssistant: {turn.answer[:300]}")
        prompt = "\n".join(lines) + f"\nUser (last question): {question}\nStandalone question:"
        try:
            reply = self.llm.chat([{"role": "system", "content": REWRITE_SYSTEM},
                                   {"role": "user", "content": prompt}], max_tokens=96).text
        except LlmUnavailable as exc:
            log.warning("query rewriting by the LLM failed (%s); using the rule", exc.message[:200])
            return None
        rewritten = reply.strip().splitlines()[0].strip().strip('"“”') if reply.strip() else ""
        limit = len(question) + max(len(t.question) for t in history) + 40
        if not rewritten or len(rewritten) > limit:
            return None
        return rewritten


_ATTRIBUTE_END = ("率", "额", "费", "期限", "收入", "利润", "条件", "要求", "标准", "时间", "流程", "材料", "等级", "利息")
_NUMERAL = set("0123456789零〇一二两三四五六七八九十百千万")


def _shape(text: str) -> str:
    """Numerals folded to one class, so 365天 lines up with 180天 and 三年期 with 一年期."""
    return "".join("0" if c in _NUMERAL else c for c in text)


def _replace_zh(previous: str, entity: str, tokenizer: SparseEncoder) -> str:
    """previous with the span the new subject stands in for replaced by it: the span of up to three words that
    lines up best with it (same ending — 金卡/白金卡, 365天/180天, 对公客户/个人客户 —, same beginning), else the
    first name in the question (its last one when the new subject is an attribute: 净利润 → 营业收入)."""
    import jieba.posseg

    entity = re.sub(r"的$", "", entity).strip()
    words = [(w, flag) for w, flag in jieba.posseg.lcut(previous) if w.strip()]
    if entity in {w for w, _ in words}:
        return previous  # the same subject: nothing to replace
    best, best_score = None, 0.0
    for i in range(len(words)):
        for j in range(i + 1, min(i + 3, len(words)) + 1):
            span = "".join(w for w, _ in words[i:j])
            if any(not re.search(r"[\w\u4e00-\u9fff]", w) for w, _ in words[i:j]) or words[i][1] in ("uj", "ul", "r"):
                continue
            suffix = _common_suffix(_shape(span), _shape(entity))
            prefix = len(os.path.commonprefix([_shape(span), _shape(entity)]))
            if not suffix and not prefix:
                continue
            score = 2 * suffix + prefix - 0.3 * abs(len(span) - len(entity)) - 0.1 * (j - i - 1)
            if suffix and suffix == len(span) and j - i == 1 and i > 0:
                score -= 1  # a bare head (客户) is better replaced with its modifier (个人客户)
            if score > best_score:
                best, best_score = span, score
    if best is not None and best_score >= 1.5:
        return previous.replace(best, entity, 1)
    nouns, run = [], ""
    for w, flag in words + [("", "x")]:
        if flag.startswith(("n", "eng", "vn")) or (run and flag in ("a", "b")):
            run += w
        else:
            if len(run) >= 2:
                nouns.append(run)
            run = w if flag in ("a", "b") else ""
    if nouns:
        target = nouns[-1] if entity.endswith(_ATTRIBUTE_END) and len(nouns) > 1 else nouns[0]
        return previous.replace(target, entity, 1)
    return f"{entity}{previous}"


def _first_name(question: str) -> str | None:
    import jieba.posseg

    run = ""
    for w, flag in jieba.posseg.lcut(question) + [jieba.posseg.pair("", "x")]:
        if flag.startswith(("n", "eng", "vn", "nz")) or (run and flag in ("a", "b", "m")) or (flag == "m" and not run):
            run += w
        elif len(run) >= 2:
            return run
        else:
            run = ""
    return None


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _replace_en(previous: str, entity: str, has_for: bool) -> str:
    words = entity.split()
    while words and words[0].lower() in _EN_DETERMINERS:
        words = words[1:]
    if not words:
        return previous
    entity = " ".join(words)
    if entity.lower() in previous.lower():
        return previous
    head = words[-1].lower().rstrip("s")
    tokens = re.findall(r"\w[\w'-]*|[^\w\s]+|\s+", previous)
    lowered = [t.lower().rstrip("s") for t in tokens]
    if not has_for and head in lowered:
        end = lowered.index(head)
        start = end
        # Extend left over the modifiers of the head noun ("platinum card", "personal loan").
        i = end - 1
        while i >= 0:
            if tokens[i].isspace():
                i -= 1
                continue
            if not re.match(r"\w", tokens[i]) or tokens[i].lower() in _EN_STOP:
                break
            start = i
            i -= 1
        return "".join(tokens[:start]) + entity + "".join(tokens[end + 1:])
    body = previous.rstrip(" ?？.")
    match = re.search(r"\bfor\s+(?:the\s+|a\s+|an\s+)?[\w' -]+$", body, re.I)
    if match:
        return body[:match.start()] + f"for {entity}?"
    return f"{body} for {entity}?"
