"""Zhiku as a LlamaIndex retriever: `ZhikuRetriever(BaseRetriever)` for query engines, agents and pipelines.

Two backends behind one class:

    ZhikuRetriever(service=KnowledgeService(runtime), knowledge_bases=["信用卡"])   # in-process
    ZhikuRetriever(base_url="http://zhiku:8000", api_key="zk_…", knowledge_bases=["信用卡"])  # a running Zhiku

A running Zhiku needs an API key (`zhiku keys create --scope "<kb id or *>:search"`): `api_key=`, or the
ZHIKU_API_KEY environment variable; it is sent as `Authorization: Bearer <key>`.

Each hit becomes NodeWithScore(TextNode(text, id_=chunk_id, metadata={document_name, page, heading_path, label,
start_s, end_s, kb_id, document_id, scores}), score). Only `label` reaches an LLM's prompt or an embedding;
the rest is for code. With `use_context=True` the node's text is the parent chunk (the section around the
match), the larger window an LLM usually wants.

llama_index is imported only when ZhikuRetriever is first used (it is the `llamaindex` extra), and nothing on
this path downloads anything (no nltk data, no tiktoken encodings): it works offline.
"""
from __future__ import annotations

import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from zhiku.core.errors import ConfigurationError, ZhikuError

if TYPE_CHECKING:
    from zhiku.api.knowledge_service import KnowledgeService

# What a TextNode shows a language model (and an embedding model) of its metadata: the readable location.
_LLM_METADATA = ("label",)
METADATA_KEYS = ("document_name", "page", "heading_path", "label", "start_s", "end_s", "kb_id", "document_id",
                 "scores")


class RemoteZhikuError(ZhikuError):
    """A remote Zhiku refused the search or could not be reached; `http_status`/`code` are its own."""

    def __init__(self, message: str, http_status: int = 502, code: str = "remote_error"):
        super().__init__(message)
        self.http_status = http_status
        self.code = code


class SearchBackend(Protocol):
    def search(self, query: str, *, knowledge_bases: list[str] | None, top_k: int | None,
               document_ids: list[str] | None, file_types: list[str] | None, mode: str | None) -> list[dict]:
        """Hits in the /search response shape (chunk_id, text, context, score, scores, citation)."""


class InProcessSearch:
    """Searches a KnowledgeService in this process."""

    def __init__(self, service: "KnowledgeService"):
        self.service = service

    def search(self, query: str, *, knowledge_bases=None, top_k=None, document_ids=None, file_types=None,
               mode=None) -> list[dict]:
        from zhiku.retrieval.hybrid_retriever import RetrievalMode

        hits = self.service.search(query, knowledge_bases, top_k, document_ids, file_types,
                                   RetrievalMode(mode) if mode else None)
        return [{"chunk_id": h.chunk_id, "text": h.text, "context": h.parent_text, "score": h.score,
                 "scores": asdict(h.scores), "citation": {**asdict(h.citation), "label": h.citation.label()}}
                for h in hits]


class RemoteSearch:
    """Searches a running Zhiku over HTTP (POST {base_url}/search)."""

    def __init__(self, base_url: str | None = None, *, http_client: httpx.Client | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 60.0, api_key: str | None = None):
        if http_client is None and not base_url:
            raise ConfigurationError("a remote ZhikuRetriever needs base_url (e.g. http://127.0.0.1:8000) or an "
                                     "httpx.Client")
        api_key = api_key or os.environ.get("ZHIKU_API_KEY")
        headers = {**(headers or {}), **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
        self._owned = http_client is None
        self.client = http_client or httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        if http_client is not None and api_key:
            self.client.headers["Authorization"] = f"Bearer {api_key}"

    def search(self, query: str, *, knowledge_bases=None, top_k=None, document_ids=None, file_types=None,
               mode=None) -> list[dict]:
        body = {"query": query, "knowledge_bases": knowledge_bases, "top_k": top_k, "document_ids": document_ids,
                "file_types": file_types, "mode": mode}
        try:
            response = self.client.post("/search", json={k: v for k, v in body.items() if v is not None})
        except httpx.HTTPError as exc:
            raise RemoteZhikuError(f"Zhiku at {self.client.base_url} could not be reached: {exc}") from exc
        if response.status_code != 200:
            raise _remote_error(response)
        return response.json()["hits"]

    def close(self) -> None:
        if self._owned:
            self.client.close()


def _remote_error(response: httpx.Response) -> RemoteZhikuError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):  # Zhiku's {"error": code, "message"}
        return RemoteZhikuError(body.get("message") or body["error"], response.status_code, body["error"])
    if isinstance(body, dict) and "detail" in body:  # request validation
        return RemoteZhikuError(f"Zhiku refused the search: {body['detail']}", response.status_code, "invalid_input")
    return RemoteZhikuError(f"Zhiku answered HTTP {response.status_code}: {response.text[:300]}",
                            response.status_code)


def hit_to_metadata(hit: dict) -> dict[str, Any]:
    citation = hit["citation"]
    return {"document_name": citation["document_name"], "page": citation.get("page"),
            "heading_path": list(citation.get("heading_path") or []), "label": citation["label"],
            "start_s": citation.get("start_s"), "end_s": citation.get("end_s"), "kb_id": citation["kb_id"],
            "document_id": citation["document_id"], "scores": dict(hit.get("scores") or {})}


def _import_llama_index():
    try:
        from llama_index.core.retrievers import BaseRetriever
        from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
    except ImportError as exc:
        raise ConfigurationError("ZhikuRetriever needs LlamaIndex: pip install 'zhiku[llamaindex]' (or "
                                 f"llama-index-core>=0.14,<0.15); importing it failed: {exc}") from exc
    return BaseRetriever, NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode


def _build_retriever_class() -> type:
    BaseRetriever, NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode = _import_llama_index()

    class ZhikuRetriever(BaseRetriever):
        """Retrieves cited chunks from Zhiku: in-process (`service`) or from a running Zhiku (`base_url`)."""

        def __init__(self, service: "KnowledgeService | None" = None, *, base_url: str | None = None,
                     http_client: httpx.Client | None = None, headers: dict[str, str] | None = None,
                     api_key: str | None = None, timeout: float = 60.0, knowledge_bases: list[str] | None = None, top_k: int | None = None,
                     document_ids: list[str] | None = None, file_types: list[str] | None = None,
                     mode: str | None = None, use_context: bool = False, **kwargs: Any):
            if (service is None) == (base_url is None and http_client is None):
                raise ConfigurationError("give ZhikuRetriever either service (in-process) or base_url / "
                                         "http_client (a running Zhiku), not both and not neither")
            super().__init__(**kwargs)
            self.backend: SearchBackend = (InProcessSearch(service) if service is not None else
                                           RemoteSearch(base_url, http_client=http_client, headers=headers,
                                                        timeout=timeout, api_key=api_key))
            self.knowledge_bases = knowledge_bases
            self.top_k = top_k
            self.document_ids = document_ids
            self.file_types = file_types
            self.mode = mode
            self.use_context = use_context

        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            hits = self.backend.search(query_bundle.query_str, knowledge_bases=self.knowledge_bases,
                                       top_k=self.top_k, document_ids=self.document_ids,
                                       file_types=self.file_types, mode=self.mode)
            return [NodeWithScore(node=self._node(hit), score=hit["score"]) for hit in hits]

        def _node(self, hit: dict) -> TextNode:
            metadata = hit_to_metadata(hit)
            hidden = [k for k in metadata if k not in _LLM_METADATA]
            text = (hit.get("context") or hit["text"]) if self.use_context else hit["text"]
            return TextNode(text=text, id_=hit["chunk_id"], metadata=metadata, excluded_llm_metadata_keys=hidden,
                            excluded_embed_metadata_keys=hidden,
                            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(
                                node_id=metadata["document_id"],
                                metadata={"document_name": metadata["document_name"]})})

        def close(self) -> None:
            if isinstance(self.backend, RemoteSearch):
                self.backend.close()

    ZhikuRetriever.__module__ = __name__
    return ZhikuRetriever


def __getattr__(name: str):
    """`ZhikuRetriever` is built on first access, so importing this module needs no llama_index."""
    if name == "ZhikuRetriever":
        cls = _build_retriever_class()
        globals()["ZhikuRetriever"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
