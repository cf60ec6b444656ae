"""Table rows written as text (a PDF's text layer, whitespace-aligned or pipe rows) read with their header line, and
answered with the cell of the question's row and column (retrieval/text_table.py, extractive_answer.table_cells).
The tables are made up; the answer tests go through the real selector and embedding model."""
from __future__ import annotations

import pytest

from zhiku.index.sparse_encoder import JiebaBm25Encoder
from zhiku.retrieval.extractive_answer import ExtractiveAnswerer, table_cells
from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores
from zhiku.retrieval.term_normaliser import default_normaliser
from zhiku.retrieval.text_table import labelled_rows, row_figures, split_cells

ZH_STATEMENT = """表2　合并利润表（单位：万元）
项目 2025年度 2024年度
营业收入 7310.58 6624.19
营业成本 (5,102.33) (4,688.70)
净利润 612.40 —"""

EN_STATEMENT = """Consolidated income statement (in thousands of RMB)
Line item            FY2025      FY2024
Operating revenue    1,204.5     1,101.2
Net profit           96.3        88.0"""

PIPE_TABLE = """| Metric | 2025 | 2024 |
|---|---:|---:|
| Revenue | 1,204.5 | 1,101.2 |
| Cost-income ratio | 31.5% | 33.0% |"""


def _hit(text, rank=0, name="report.pdf", headings=(), parent=None):
    citation = Citation("kb", f"d{rank}", name, 1, 1, list(headings), 0, len(text), None)
    return SearchHit(f"c{rank}", text, parent, 1.0 - rank / 10, StageScores(), citation)


def test_a_row_is_its_label_and_trailing_figures():
    assert row_figures("营业收入 7310.58 6624.19") == ("营业收入", ["7310.58", "6624.19"])
    assert row_figures("Operating revenue    1,204.5     1,101.2") == ("Operating revenue", ["1,204.5", "1,101.2"])
    assert row_figures("营业成本 (5,102.33) (4,688.70)")[1] == ["(5,102.33)", "(4,688.70)"]
    # Not rows: prose with a number, a header naming its columns by year, a field line, a line of figures only.
    assert row_figures("本行共有网点 12 个，员工 300 人") is None
    assert row_figures("Item 2025 2024") is None
    assert row_figures("票面利率: 2.45") is None
    assert row_figures("2025 2024 2023") is None
    assert split_cells("| a | b c | d |") == ["a", "b c", "d"] and split_cells("a  b c\td") == ["a", "b c", "d"]


def test_rows_are_read_with_their_header_and_unit_in_either_language():
    zh = labelled_rows(ZH_STATEMENT)
    # Each figure carries the unit the table's caption states: quoted alone, it still says what it counts.
    assert zh["营业收入 7310.58 6624.19"] == "项目: 营业收入 | 2025年度: 7310.58 万元 | 2024年度: 6624.19 万元"
    assert zh["净利润 612.40 —"] == "项目: 净利润 | 2025年度: 612.40 万元 | 2024年度: —"
    en = labelled_rows(EN_STATEMENT)
    assert en["Operating revenue    1,204.5     1,101.2"] == (
        "Line item: Operating revenue | FY2025: 1,204.5 (in thousands of RMB) | FY2024: 1,101.2 (in thousands of RMB)")
    pipe = labelled_rows(PIPE_TABLE)
    assert pipe["| Revenue | 1,204.5 | 1,101.2 |"] == "Metric: Revenue | 2025: 1,204.5 | 2024: 1,101.2"


def test_a_row_without_a_header_or_under_prose_is_left_alone():
    assert labelled_rows("营业收入 7310.58 6624.19\n净利润 612.40 580.00") == {}
    assert labelled_rows("本公司经营稳健，收入持续增长。\n营业收入 7310.58 6624.19") == {}
    # Rows of another width stand between: they are another table's, so the header above is not this row's.
    assert labelled_rows("项目 2025年度 2024年度\n营业收入 1 2\n存款 1 2 3") == {
        "营业收入 1 2": "项目: 营业收入 | 2025年度: 1 | 2024年度: 2"}


def test_the_header_of_a_long_table_is_found_in_the_section_the_chunk_was_cut_from():
    chunk = "营业成本 (5,102.33) (4,688.70)\n净利润 612.40 —"
    rows = labelled_rows(chunk, ZH_STATEMENT, ("四、主要财务报表",))
    assert rows["营业成本 (5,102.33) (4,688.70)"].startswith("项目: 营业成本 | 2025年度: (5,102.33) 万元")
    # Without the section, the unit comes from the heading path (the innermost heading that states one).
    assert labelled_rows("项目 2025年度 2024年度\n营业收入 7310.58 6624.19", "", ("财务数据（金额单位：亿元）",)) == {
        "营业收入 7310.58 6624.19": "项目: 营业收入 | 2025年度: 7310.58 亿元 | 2024年度: 6624.19 亿元"}


def test_the_cell_of_the_asked_year_is_quoted_with_its_row_column_and_unit():
    fold = default_normaliser().normalise
    row = "项目: 营业收入 | 2025年度: 7310.58 万元 | 2024年度: 6624.19 万元"
    assert table_cells(fold("2025年的营业收入是多少？"), row) == "营业收入（2025年度）：7310.58 万元"
    assert table_cells(fold("2024年营业收入多少"), row) == "营业收入（2024年度）：6624.19 万元"
    # A parsed table's unit column goes with the cell too.
    assert table_cells(fold("2024年营业收入多少"), "项目: 营业收入 | 2025年度: 7310.58 | 2024年度: 6624.19 | 单位: 万元") \
        == "营业收入（2024年度）：6624.19 万元"
    en = "Line item: Operating revenue | FY2025: 1,204.5 | FY2024: 1,101.2 | Unit: thousands of RMB"
    assert table_cells(fold("What was operating revenue in 2024?"), en) == (
        "Operating revenue (FY2024): 1,101.2 thousands of RMB")
    # No year asked: no column is chosen, the whole row (both years) is quoted.
    assert table_cells(fold("营业收入是多少？"), row) == row


@pytest.fixture(scope="module")
def answerer(shared_embedder):
    return ExtractiveAnswerer(JiebaBm25Encoder(), shared_embedder)


def test_a_statement_line_in_a_pdf_answers_with_the_cell_of_the_asked_year(answerer):
    hits = [_hit(ZH_STATEMENT, 0, "示例制造有限公司_审计报告摘要_2025.pdf", ("四、主要财务报表（金额单位：万元）",)),
            _hit("示例制造有限公司主营精密零部件，2025年收入稳步增长，客户集中度较高。", 1, "示例制造有限公司_情况表.docx")]
    answer = answerer.answer("2025年示例制造的营业收入是多少？", hits)
    assert answer.found and answer.sentences[0].text == "营业收入（2025年度）：7310.58 万元", answer.answer
    # Not the other year, and not the table's other rows: they answer other questions.
    assert "6624.19" not in answer.answer and "营业成本" not in answer.answer and "净利润" not in answer.answer
    # The citation points at the row's line in the passage, as written there.
    cited = answer.hits[0]
    assert cited.citation.document_name.endswith("审计报告摘要_2025.pdf")


def test_an_english_statement_answers_with_the_cell_of_the_asked_year(answerer):
    hits = [_hit(EN_STATEMENT, 0, "annual_report_2025.pdf")]
    answer = answerer.answer("What was the net profit in FY2024?", hits)
    assert answer.found and answer.sentences[0].text == "Net profit (FY2024): 88.0 (in thousands of RMB)", answer.answer


LOAN_ROWS = ["贷款品种: 商业按揭 | 最长期限: 30年 | 最低首付: 20%",
             "贷款品种: 组合按揭 | 最长期限: 25年 | 最低首付: 25%",
             "贷款品种: 装修贷款 | 最长期限: 5年 | 最低首付: 不适用"]


def test_the_row_the_question_names_answers_and_the_tables_other_rows_are_left_out(answerer):
    hits = [_hit("\n".join(LOAN_ROWS), 0, "贷款产品一览.docx", ("二、期限与首付",))]
    for question, row in (("组合按揭的最长期限是多少？", "组合按揭"), ("装修贷款最长能贷几年？", "装修贷款")):
        answer = answerer.answer(question, hits)
        assert answer.found and answer.sentences[0].text.startswith(f"贷款品种: {row}"), answer.answer
        assert len(answer.sentences) == 1, answer.answer
