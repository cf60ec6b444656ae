"""History-aware query rewriting: a follow-up question becomes one retrieval can answer on its own.

"它的年费是多少？" after "白金信用卡怎么申请？" must search for the card's annual fee. With an LLM the
question is rewritten by the model (checked: one line, not much longer than history + question); without
one, or when the model fails, the rule below applies: a question that refers back (pronouns, "这个",
"that") or is too short to stand alone gets the previous question's key terms in front of it.
"""
from __future__ import annotations

import logging
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


class QueryRewriter:
    def __init__(self, tokenizer: SparseEncoder, llm: LlmClient | None = None):
        self.tokenizer = tokenizer
        self.llm = llm

    def rewrite(self, question: str, history: list[Turn]) -> str:
        question = question.strip()
        if not history or not self.needs_context(question):
            return question
        if self.llm is not None:
            rewritten = self._llm_rewrite(question, history)
            if rewritten:
                return rewritten
        return self._rule_rewrite(question, history)

    def needs_context(self, question: str) -> bool:
        return bool(_REFERS_BACK.search(question)) or len(self.tokenizer.tokenize(question)) < _MIN_STANDALONE_TERMS

    def _rule_rewrite(self, question: str, history: list[Turn]) -> str:
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
