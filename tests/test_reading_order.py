"""Reading-order rebuild on synthetic OCR lines (no model): columns, tables, fragments, wrapping, noise, gaps."""
from zhiku.core.types import BlockKind
from zhiku.ingest.ocr.engine import OcrLine
from zhiku.ingest.ocr.reading_order import ReadingOrderConfig, rebuild_reading_order

HEIGHT = 20  # every synthetic line is 20 px tall; the rebuild measures gaps in line heights


def line(text: str, x0: float, y0: float, x1: float, score: float = 0.99, height: float = HEIGHT) -> OcrLine:
    return OcrLine(text=text, bbox=(x0, y0, x1, y0 + height), score=score)


def texts(lines: list[OcrLine], config: ReadingOrderConfig | None = None) -> list[str]:
    return [paragraph.text for paragraph in rebuild_reading_order(lines, config)]


def test_two_column_page_is_read_column_by_column():
    lines = []
    for i in range(6):  # the engine reports rows across both columns, interleaving them
        y = 100 + i * 25
        lines.append(line(f"left{i}", 50, y, 450))
        lines.append(line(f"right{i}", 550, y, 950))
    result = texts(lines)
    assert result == [" ".join(f"left{i}" for i in range(6)), " ".join(f"right{i}" for i in range(6))]


def test_table_is_read_row_by_row_with_cells_joined():
    lines = []
    for i, row in enumerate([["Name", "Qty", "Price"], ["apple", "3", "1.20"], ["pear", "5", "0.80"],
                             ["plum", "7", "2.10"]]):
        y = 100 + i * 30
        lines += [line(row[2], 400, y, 460), line(row[0], 50, y, 130), line(row[1], 250, y, 280)]
    paragraphs = rebuild_reading_order(lines)
    assert [p.text for p in paragraphs] == ["Name | Qty | Price", "apple | 3 | 1.20", "pear | 5 | 0.80",
                                            "plum | 7 | 2.10"]
    assert all(p.kind is BlockKind.TABLE_ROW for p in paragraphs)
    assert paragraphs[1].bbox == (50, 130, 460, 150)  # the union of the row's cells


def test_form_fields_side_by_side_are_read_row_by_row_not_as_columns():
    lines = []
    for i, (left, right) in enumerate([("TO: Sam", "BRAND: Kool"), ("FROM: Dan", "TYPE: All"),
                                       ("DATE: 2-Dec", "MAKER: B&W")]):
        y = 100 + i * 25
        lines += [line(left, 50, y, 170), line(right, 300, y, 440)]
    assert texts(lines) == ["TO: Sam | BRAND: Kool", "FROM: Dan | TYPE: All", "DATE: 2-Dec | MAKER: B&W"]


def test_fragments_of_one_line_are_merged_in_x_order():
    # the detector split one line in three and reported the pieces out of order, baselines slightly off
    lines = [line("world,", 120, 102, 220), line("again", 230, 99, 320), line("Hello", 50, 100, 110)]
    paragraphs = rebuild_reading_order(lines)
    assert [p.text for p in paragraphs] == ["Hello world, again"]
    assert paragraphs[0].kind is BlockKind.PARAGRAPH
    assert paragraphs[0].bbox == (50, 99, 320, 122)


def test_wrapped_cjk_lines_join_without_spaces_and_latin_with_one():
    lines = [line("信用卡挂失后，原卡片", 50, 100, 450), line("立即停止使用 card", 50, 125, 450),
             line("is blocked", 50, 150, 300)]
    assert texts(lines) == ["信用卡挂失后，原卡片立即停止使用 card is blocked"]


def test_low_confidence_noise_is_dropped():
    lines = [line("Notice to customers", 50, 100, 450), line("~~#", 300, 200, 340, score=0.2),
             line("The branch closes at five.", 50, 125, 450)]
    assert texts(lines) == ["Notice to customers The branch closes at five."]
    assert texts(lines, ReadingOrderConfig(min_score=0.1))[-1] == "~~#"


def test_paragraphs_break_at_wide_vertical_gaps():
    lines = [line("first paragraph line one", 50, 100, 450), line("first paragraph line two", 50, 124, 450),
             line("second paragraph", 50, 166, 450)]  # a 22 px gap, over a line height; wrapped lines are 4 px apart
    assert texts(lines) == ["first paragraph line one first paragraph line two", "second paragraph"]


def test_vertical_margin_text_does_not_swallow_the_rows_it_spans():
    lines = [line("row one of the form", 50, 100, 450), line("row two of the form", 50, 160, 450),
             line("row three of the form", 50, 220, 450), line("85201976", 600, 90, 625, height=160)]
    result = texts(lines)
    assert [t for t in result if "row" in t] == ["row one of the form", "row two of the form",
                                                 "row three of the form"]
    assert "85201976" in result


def test_list_items_start_new_paragraphs():
    lines = [line("Requirements:", 50, 100, 300), line("• a kernel with device mapper", 50, 124, 450),
             line("• the lvm2 package", 50, 148, 450)]
    assert texts(lines) == ["Requirements:", "• a kernel with device mapper", "• the lvm2 package"]
