"""Every retrieval leaves through the guardrails: personal data masked by the policy of each hit's knowledge base.
Search results, answers, reports, research and exports all retrieve through here. Passages flagged as prompt
injection stay in search results (with their flags: a reader may see a document's text, and a false alarm must
not hide it); `evidence` leaves them out of what an answerer reads, in both answer modes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from zhiku.guardrails.policy import GuardrailPolicy
from zhiku.retrieval.hybrid_retriever import Retrieval
from zhiku.retrieval.search_hit import SearchHit

FLAGS_FIELD = "guardrail_flags"  # chunk payload: reasons the injection detector gave at ingestion

PolicyOf = Callable[[str], GuardrailPolicy]


def is_flagged(hit: SearchHit) -> bool:
    return bool(hit.payload.get(FLAGS_FIELD))


def guard_hits(hits: list[SearchHit], policy_of: PolicyOf) -> list[SearchHit]:
    """The hits with personal data masked by their knowledge base's policy."""
    policies = _memo(policy_of)
    return [replace(hit, text=policy.mask(hit.text),
                    parent_text=policy.mask(hit.parent_text) if hit.parent_text else hit.parent_text)
            for hit in hits for policy in [policies(hit.payload.get("kb_id", ""))]]


def evidence(hits: list[SearchHit], policy_of: PolicyOf) -> list[SearchHit]:
    """The hits an answer may be built on: flagged passages left out, unless their policy uses them."""
    policies = _memo(policy_of)
    return [hit for hit in hits if not is_flagged(hit) or policies(hit.payload.get("kb_id", "")).use_flagged_evidence]


def _memo(policy_of: PolicyOf) -> PolicyOf:
    known: dict[str, GuardrailPolicy] = {}

    def lookup(kb_id: str) -> GuardrailPolicy:
        if kb_id not in known:
            known[kb_id] = policy_of(kb_id)
        return known[kb_id]

    return lookup


class GuardedRetriever:
    """The retriever's interface, with guard_hits applied to what it returns."""

    def __init__(self, inner, policy_of: PolicyOf):
        self.inner = inner
        self.policy_of = policy_of

    def retrieve(self, *args, **kwargs) -> Retrieval:
        retrieval = self.inner.retrieve(*args, **kwargs)
        return replace(retrieval, hits=guard_hits(retrieval.hits, self.policy_of))

    def __getattr__(self, name: str):
        return getattr(self.inner, name)
