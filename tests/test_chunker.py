from zhiku.core.types import Block, BlockKind, ParsedDocument
from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker, canonical_text
from zhiku.core.sentences import sentence_spans


def _doc() -> ParsedDocument:
    intro = "第一条 为规范个人住房贷款业务，制定本办法。第二条 本办法适用于全行各分支机构。"
    long_para = "".join(f"第{i}句说明贷款审批的具体要求，须经复核。" for i in range(1, 30))
    rows = [f"房屋类型: 第{i}类住房 | 最高贷款成数: {60 + i}% | 说明: 需提供完整收入证明和资产证明材料" for i in range(6)]
    blocks = [Block("个人住房贷款管理办法", BlockKind.HEADING, 1, [], 1),
              Block("第一章 总则", BlockKind.HEADING, 1, ["个人住房贷款管理办法"], 2),
              Block(intro, page=1, heading_path=["个人住房贷款管理办法", "第一章 总则"]),
              Block("第二章 审批", BlockKind.HEADING, 2, ["个人住房贷款管理办法"], 2),
              Block(long_para, page=2, heading_path=["个人住房贷款管理办法", "第二章 审批"])]
    blocks += [Block(r, BlockKind.TABLE_ROW, 3, ["个人住房贷款管理办法", "第二章 审批"]) for r in rows]
    return ParsedDocument(blocks)


def test_chunks_keep_heading_path_page_and_exact_span():
    doc = _doc()
    chunks = StructuredChunker(ChunkingConfig(chunk_size=120, chunk_overlap=30, parent_chunk_size=400)).chunk(doc)
    text = canonical_text(doc.blocks)
    assert chunks[0].heading_path == ["个人住房贷款管理办法", "第一章 总则"]
    assert chunks[0].page == 1
    assert all(text[c.char_start:c.char_end] == c.text for c in chunks)
    assert {tuple(c.heading_path) for c in chunks} == {("个人住房贷款管理办法", "第一章 总则"),
                                                      ("个人住房贷款管理办法", "第二章 审批")}
    assert chunks[0].embedding_text.startswith("个人住房贷款管理办法 > 第一章 总则\n")


def test_sentences_and_table_rows_are_never_split():
    doc = _doc()
    chunks = StructuredChunker(ChunkingConfig(chunk_size=120, chunk_overlap=30, parent_chunk_size=400)).chunk(doc)
    row_texts = [b.text for b in doc.blocks if b.kind is BlockKind.TABLE_ROW]
    for chunk in chunks:
        assert len(chunk.text) <= 120 or chunk.text in row_texts
        # every chunk starts at a sentence/row start and ends at a sentence end or a row end
        assert chunk.text.endswith(("。", "材料")), chunk.text
    for row in row_texts:
        assert any(row in c.text for c in chunks)


def test_overlap_repeats_whole_sentences_and_parents_contain_children():
    doc = _doc()
    chunks = StructuredChunker(ChunkingConfig(chunk_size=120, chunk_overlap=40, parent_chunk_size=400)).chunk(doc)
    section = [c for c in chunks if c.heading_path[-1] == "第二章 审批" and c.page == 2]
    assert len(section) >= 3
    overlapping = [b for a, b in zip(section, section[1:]) if b.char_start < a.char_end]
    assert overlapping, "consecutive chunks of one section should share a sentence"
    for chunk in chunks:
        assert chunk.text in chunk.parent_text
    assert len({c.parent_id for c in chunks}) < len(chunks)


def test_chinese_and_english_sentence_boundaries():
    text = "贷款期限最长30年。利率如何确定？按LPR加点！Rates are fixed. Fees apply; see below"
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == ["贷款期限最长30年。", "利率如何确定？", "按LPR加点！", "Rates are fixed.", "Fees apply;",
                         "see below"]


def test_small_document_is_one_chunk_equal_to_its_text():
    doc = ParsedDocument([Block("信用卡年费首年免收。")])
    (chunk,) = StructuredChunker().chunk(doc)
    assert chunk.text == "信用卡年费首年免收。" and chunk.embedding_text == chunk.text and chunk.page is None


def test_invalid_config_is_refused():
    import pytest

    with pytest.raises(ValueError):
        ChunkingConfig(chunk_size=100, chunk_overlap=100)
