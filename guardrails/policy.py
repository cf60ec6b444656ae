"""A knowledge base's guardrail policy: which personal data is masked in what leaves the service (search results,
answers, exports; logs and the audit trail call `mask` too), whether passages flagged as prompt injection may be
used as evidence, and which topics get a fixed reply instead of an answer."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from zhiku.guardrails.injection import detect_injection
from zhiku.guardrails.pii import PiiKind, mask_pii

# An organisation's credit code is public registration data: found, but not masked unless a policy asks.
PERSONAL_DATA = frozenset(kind for kind in PiiKind if kind is not PiiKind.CREDIT_CODE)
DEFAULT_REFUSAL = ("抱歉，这个问题不在本知识库可以回答的范围内，请联系相关业务部门。"
                   "Sorry, this question is outside what this knowledge base may answer; please contact the "
                   "responsible department.")
INJECTION_REFUSAL = ("这个问题包含试图改变助手规则的指令，无法回答。请直接提出业务问题。"
                     "This question contains instructions aimed at the assistant's rules and is not answered; "
                     "please ask the business question itself.")


@dataclass(frozen=True, slots=True)
class GuardrailPolicy:
    mask_kinds: frozenset[PiiKind] = PERSONAL_DATA
    use_flagged_evidence: bool = False
    refused_topics: tuple[str, ...] = ()
    refused_reply: str = DEFAULT_REFUSAL
    refuse_injected_questions: bool = True

    @classmethod
    def from_json(cls, data: dict | None) -> "GuardrailPolicy":
        if not data:
            return cls()
        default = cls()
        return cls(mask_kinds=frozenset(PiiKind(kind) for kind in data.get("mask_kinds", default.mask_kinds)),
                   use_flagged_evidence=bool(data.get("use_flagged_evidence", default.use_flagged_evidence)),
                   refused_topics=tuple(data.get("refused_topics", ())),
                   refused_reply=data.get("refused_reply") or default.refused_reply,
                   refuse_injected_questions=bool(data.get("refuse_injected_questions", True)))

    def to_json(self) -> dict:
        return {"mask_kinds": sorted(kind.value for kind in self.mask_kinds),
                "use_flagged_evidence": self.use_flagged_evidence, "refused_topics": list(self.refused_topics),
                "refused_reply": self.refused_reply, "refuse_injected_questions": self.refuse_injected_questions}

    def mask(self, text: str) -> str:
        """`text` with the personal data this policy masks hidden (for answers, results, exports, logs, audit)."""
        return mask_pii(text, self.mask_kinds) if self.mask_kinds and text else text

    def refusal(self, question: str) -> str | None:
        """The fixed reply for a question this policy does not answer, else None."""
        folded = _fold(question)
        if any(_fold(topic) in folded for topic in self.refused_topics if topic.strip()):
            return self.refused_reply
        if self.refuse_injected_questions and detect_injection(question) is not None:
            return INJECTION_REFUSAL
        return None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")

