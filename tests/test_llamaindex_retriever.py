"""Zhiku from LlamaIndex: ZhikuRetriever in-process and against a running Zhiku (uvicorn, POST /search).

Real components throughout: the knowledge base is built through the API with the real embedder and engine,
LlamaIndex is the real llama-index-core, and the network is refused beyond this machine to show that nothing
on the retriever's path downloads anything.
"""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.credentials import create_key
from tests.live_server import live_server
from tests.test_openai_compat import DOCUMENT, KB, QUESTION, _knowledge_base

pytest.importorskip("llama_index.core")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def offline(monkeypatch):
    """Connections only to this machine. A download attempt is refused and recorded, and fails the test even
    where the library swallows the error (llama_index prints NLTK download errors and goes on)."""
    real_connect = socket.socket.connect
    attempts: list = []

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network access refused in this test: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield attempts
    assert not attempts, f"network connections were attempted: {attempts}"


def _check_nodes(nodes, kb_id: str) -> None:
    from llama_index.core.schema import MetadataMode, NodeWithScore, TextNode

    assert nodes and all(isinstance(n, NodeWithScore) and isinstance(n.node, TextNode) for n in nodes)
    top = nodes[0]
    assert "一千二百元" in top.node.text and isinstance(top.score, float)
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    meta = top.node.metadata
    assert meta["document_name"] == DOCUMENT and meta["kb_id"] == kb_id and meta["document_id"]
    assert meta["heading_path"] == ["信用卡产品手册", "白金信用卡"]
    assert meta["label"] == f"{DOCUMENT} · 信用卡产品手册 > 白金信用卡"
    assert {"page", "start_s", "end_s"} <= set(meta)
    assert meta["scores"]["fused"] is not None
    assert top.node.ref_doc_id == meta["document_id"]
    # What an LLM would read: the text and where it is from, not ids or scores.
    prompt_view = top.node.get_content(metadata_mode=MetadataMode.LLM)
    assert meta["label"] in prompt_view and kb_id not in prompt_view and "fused" not in prompt_view


def test_in_process_retrieval_returns_cited_nodes(client, offline):
    from llama_index.core.retrievers import BaseRetriever

    from zhiku.integrations.llamaindex_retriever import ZhikuRetriever

    kb_id = _knowledge_base(client)
    retriever = ZhikuRetriever(client.app.state.service, knowledge_bases=[KB], top_k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(QUESTION)
    assert len(nodes) <= 3
    _check_nodes(nodes, kb_id)
    search = client.post("/search", json={"query": QUESTION, "knowledge_bases": [KB], "top_k": 3}).json()["hits"]
    assert [n.node.node_id for n in nodes] == [h["chunk_id"] for h in search]

    wide = ZhikuRetriever(client.app.state.service, knowledge_bases=[kb_id], top_k=1, use_context=True)
    [section] = wide.retrieve(QUESTION)
    assert section.node.text == search[0]["context"] and section.node.node_id == search[0]["chunk_id"]


def test_remote_retrieval_over_http_and_in_a_query_engine(client, settings, runtime, offline):
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    from zhiku.api.app import create_app
    from zhiku.integrations.llamaindex_retriever import RemoteZhikuError, ZhikuRetriever

    kb_id = _knowledge_base(client)
    with live_server(create_app(settings, runtime)) as base_url:
        search_key = create_key(settings, {"*": ["search"]}, name="llamaindex")
        retriever = ZhikuRetriever(base_url=base_url, api_key=search_key, knowledge_bases=[KB], top_k=3)
        try:
            nodes = retriever.retrieve(QUESTION)
            _check_nodes(nodes, kb_id)
            local = ZhikuRetriever(client.app.state.service, knowledge_bases=[KB], top_k=3).retrieve(QUESTION)
            assert [(n.node.node_id, n.node.text, n.node.metadata) for n in nodes] == \
                   [(n.node.node_id, n.node.text, n.node.metadata) for n in local]

            # A query engine: retrieval feeds the synthesizer's prompt. MockLLM echoes the prompt it gets, so
            # the "answer" shows what a real model would read: the passages and their labels, no ids or scores.
            engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(), response_mode="compact")
            response = engine.query(QUESTION)
            assert [n.node.node_id for n in response.source_nodes] == [n.node.node_id for n in nodes]
            prompt = str(response)
            assert QUESTION in prompt and "一千二百元" in prompt and nodes[0].node.metadata["label"] in prompt
            assert kb_id not in prompt

            with pytest.raises(RemoteZhikuError) as missing:
                ZhikuRetriever(base_url=base_url, api_key=search_key, knowledge_bases=["no-such-kb"]).retrieve(QUESTION)
            assert missing.value.http_status == 404 and missing.value.code == "not_found"
            with pytest.raises(RemoteZhikuError) as anonymous:
                ZhikuRetriever(base_url=base_url, knowledge_bases=[KB]).retrieve(QUESTION)
            assert anonymous.value.http_status == 401 and anonymous.value.code == "unauthenticated"
        finally:
            retriever.close()


def test_errors_and_a_clear_message_without_the_extra():
    from zhiku.core.errors import ConfigurationError, ZhikuError
    from zhiku.integrations.llamaindex_retriever import RemoteZhikuError, ZhikuRetriever

    with pytest.raises(ConfigurationError):
        ZhikuRetriever()
    with pytest.raises(ConfigurationError):
        ZhikuRetriever(object(), base_url="http://127.0.0.1:1")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RemoteZhikuError, match="could not be reached") as unreachable:
        ZhikuRetriever(base_url=f"http://127.0.0.1:{port}", timeout=5).retrieve(QUESTION)
    assert isinstance(unreachable.value, ZhikuError)

    # Importing the module needs no llama_index; using the class without it says what to install.
    script = ("import sys\n"
              "import zhiku.integrations.llamaindex_retriever as m\n"
              "assert not any(k.startswith('llama_index') for k in sys.modules), 'llama_index imported eagerly'\n"
              "sys.modules['llama_index'] = None\n"
              "try:\n"
              "    m.ZhikuRetriever\n"
              "except Exception as exc:\n"
              "    print(type(exc).__name__, exc)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ConfigurationError") and "zhiku[llamaindex]" in result.stdout, result.stdout
