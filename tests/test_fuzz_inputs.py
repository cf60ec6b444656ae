"""Property-based fuzzing (hypothesis) of what takes outside input: the parsers, the chunker, and query handling.
A parser may refuse a file only with a ZhikuError (a readable reason, a 4xx); the chunker's offsets always point
into the text; a query or request body is answered or refused, never crashes. Bounded: ZHIKU_FUZZ_EXAMPLES
(default 60) examples per property, derandomized."""
from __future__ import annotations

import io
import os
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from zhiku.core.errors import ZhikuError

EXAMPLES = int(os.environ.get("ZHIKU_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
TEXT_EXTENSIONS = [".txt", ".md", ".csv", ".html", ".eml"]
PACKAGE_EXTENSIONS = [".docx", ".xlsx", ".pptx"]
# Text as people and programs write it: CJK, Latin, digits, punctuation, controls, emoji, markup.
TEXTS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=2000) | st.sampled_from([
    "# 标题\n\n正文。", "a,b,c\n1,2,3\n\"x\n", "<html><body><p>段落</p><script>x</script>", "Subject: 主题\n\n正文",
    "\x00\x01\x02", "\ufeff\u200b", "第一章 总则\n第一条 ……", "| a | b |\n|---|---|\n| 1 | 2 |"])


def _parse(data: bytes, name: str) -> None:
    from zhiku.ingest.parsing import parse_document

    try:
        _, document = parse_document(data, name)
    except ZhikuError:
        return
    assert all(block.text for block in document.blocks)


@FUZZ
@given(data=st.binary(max_size=4096), extension=st.sampled_from(TEXT_EXTENSIONS + PACKAGE_EXTENSIONS + [".pdf", ".png"]))
def test_random_bytes_are_parsed_or_refused_readably(data, extension):
    _parse(data, f"file{extension}")


@FUZZ
@given(text=TEXTS, extension=st.sampled_from(TEXT_EXTENSIONS),
       encoding=st.sampled_from(["utf-8", "utf-16", "gb18030", "latin-1"]))
def test_text_formats_in_any_encoding(text, extension, encoding):
    _parse(text.encode(encoding, errors="replace"), f"file{extension}")


def _package(extension: str) -> bytes:
    import docx
    import openpyxl
    import pptx

    out = io.BytesIO()
    if extension == ".docx":
        document = docx.Document()
        document.add_paragraph("授信审批须经贷审会审议。")
        document.save(out)
    elif extension == ".xlsx":
        workbook = openpyxl.Workbook()
        workbook.active.append(["产品", "利率"])
        workbook.save(out)
    else:
        presentation = pptx.Presentation()
        presentation.slides.add_slide(presentation.slide_layouts[1]).shapes.title.text = "反洗钱培训"
        presentation.save(out)
    return out.getvalue()


PACKAGES = {extension: _package(extension) for extension in PACKAGE_EXTENSIONS}


@FUZZ
@given(extension=st.sampled_from(PACKAGE_EXTENSIONS), data=st.data())
def test_office_packages_with_damaged_parts(extension, data):
    """A real package with one part replaced by fuzz (broken XML, a DTD, binary) or its bytes flipped."""
    original = PACKAGES[extension]
    with zipfile.ZipFile(io.BytesIO(original)) as source:
        names = source.namelist()
        target = data.draw(st.sampled_from(names))
        content = data.draw(st.binary(max_size=512) | TEXTS.map(str.encode) | st.sampled_from([
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', b"<x>" * 300, b""]))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in source.infolist():
                archive.writestr(item, content if item.filename == target else source.read(item))
    packaged = out.getvalue()
    position = data.draw(st.integers(0, len(packaged) - 1))
    flipped = bytearray(packaged)
    flipped[position] ^= data.draw(st.integers(1, 255))
    for candidate in (packaged, bytes(flipped)):
        _parse(candidate, f"file{extension}")


@FUZZ
@given(paragraphs=st.lists(TEXTS, max_size=12), size=st.integers(64, 600))
def test_chunk_offsets_always_point_into_the_text(paragraphs, size):
    from zhiku.core.types import Block, ParsedDocument
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker, canonical_text

    blocks = [Block(text) for text in paragraphs if text.strip()]
    document = ParsedDocument(blocks=blocks)
    chunks = StructuredChunker(ChunkingConfig(size, min(64, size // 4), max(size, 256))).chunk(document)
    text = canonical_text(document.blocks)
    for chunk in chunks:
        assert 0 <= chunk.char_start <= chunk.char_end <= len(text)
        assert chunk.text.strip()


@FUZZ
@given(body=st.binary(max_size=300) | st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30).map(lambda value: repr(value).encode()))
def test_request_bodies_are_accepted_or_refused_with_a_reason(body):
    from zhiku.api.request_body import BadJson, check_json

    try:
        check_json(body)
    except BadJson as refusal:
        assert str(refusal)


@pytest.fixture(scope="module")
def search_service(tmp_path_factory, shared_embedder):
    from zhiku.api.knowledge_service import KnowledgeService
    from zhiku.api.runtime import Runtime
    from zhiku.core.settings import Settings
    from zhiku.index.factory import build_caching_embedder

    folder = tmp_path_factory.mktemp("queries")
    settings = Settings(data_dir=folder, graph_enabled=False, _env_file=None)
    runtime = Runtime(settings)
    runtime.__dict__["embedder"] = build_caching_embedder(settings, shared_embedder)
    service = KnowledgeService(runtime)
    kb = service.create_kb("fuzz")
    service.upload(kb.id, "制度.md", "# 制度\n\n授信业务须经调查、审查和审批，经营贷年利率3.85%。".encode())
    runtime.jobs.start()
    runtime.jobs.wait_idle(120)
    yield service
    runtime.close()


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(query=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=300))
def test_any_query_is_answered_or_refused(search_service, query):
    try:
        search_service.search(query, top_k=3)
        search_service.ask(query, mode="extractive")
    except ZhikuError:
        pass
