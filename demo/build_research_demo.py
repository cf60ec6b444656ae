#!/usr/bin/env python3
"""Build the demo research document: a fictional bond credit-analysis report (PDF) for the research feature.

The issuer 沧澜港航集团有限公司, its bond 25沧港01 (243906.SH), the rating agency 澄明信用评级有限公司, the
analysts and every figure are invented for the demo of /research/extract, /research/ask and the
research_report_zh draft; they do not describe any real company, bond or person. The report is written
by the demo's fictional bank 华夏通商银行 and carries the mark "（虚构演示材料 / fictional demo material）".

One file is written to demo/bank_kb/:

    研究报告_沧澜港航集团有限公司_2025年度信用分析.pdf    three pages: bond terms and rating (p.1),
                                                         operations and financial data (p.2),
                                                         conclusions, risks, disclaimer (p.3)

The bond terms are "标签：值" lines and the financial data are lines "营业收入 236.85 214.37 198.62" under a
header naming the years, so the research template reads every field and line item from the text layer.
Deliberately absent: the bond's guarantee (担保) — the report says the bond is unsecured.

The build is deterministic like demo/build_demo_kb.py: no randomness, no clock, no network; reportlab's
invariant mode with the fixed PDF date, so repeated runs give byte-identical files.

Usage (from the repository root, with the project virtualenv):

    .venv/bin/python demo/build_research_demo.py                # build + verify
    .venv/bin/python demo/build_research_demo.py --verify-only  # only verify the existing file

Verification parses the PDF with the project's own parser (ingest.parsers.pdf) and checks that the
research template's patterns and the statement reader (scenarios.financial_figures) find exactly the
values below, on the pages stated.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
REPO_DIR = DEMO_DIR.parent
KB_DIR = DEMO_DIR / "bank_kb"
for _path in (REPO_DIR, DEMO_DIR):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from build_demo_kb import FIXED_PDF_DATE  # noqa: E402
from report_pdf import report_styles, running_header  # noqa: E402

FICTIONAL = "（虚构演示材料 / fictional demo material）"
AUTHOR = "华夏通商银行 Huaxia Commerce Bank (fictional demo)"
MAX_BYTES = 200 * 1024

ISSUER = "沧澜港航集团有限公司"
FILE_NAME = f"研究报告_{ISSUER}_2025年度信用分析.pdf"
REPORT_TITLE = f"{ISSUER}2025年度信用分析报告"
REPORT_DATE = "2026年4月10日"
AUTHORS = "华夏通商银行金融市场部 固定收益研究组　分析师：程远航、宋知微"

# The fields the research template must read, exactly as written in the report, and their page.
TRUTH_FIELDS = {
    "issuer": (ISSUER, 1),
    "bond_name": ("25沧港01", 1),
    "bond_code": ("243906.SH", 1),
    "issue_size": ("人民币20亿元", 1),
    "term": ("5年（3+2）", 1),
    "coupon": ("2.45%", 1),
    "maturity_date": ("2030年6月12日", 1),
    "interest_payment": ("按年付息，到期一次还本", 1),
    "use_of_proceeds": ("偿还到期公司债券本金及补充流动资金", 1),
    "rating_agency": ("澄明信用评级有限公司", 1),
    "issuer_rating": ("AA+", 1),
    "bond_rating": ("AA+", 1),
}
BOND_TERMS = [  # one line each: "label：value"
    ("发行人", ISSUER),
    ("债券全称", f"{ISSUER}2025年面向专业投资者公开发行公司债券（第一期）"),
    ("债券简称", "25沧港01"),
    ("债券代码", "243906.SH"),
    ("发行规模", "人民币20亿元"),
    ("债券期限", "5年（3+2），第3年末附发行人调整票面利率选择权和投资者回售选择权"),
    ("票面利率", "2.45%"),
    ("起息日", "2025年6月12日"),
    ("到期日", "2030年6月12日"),
    ("付息方式", "按年付息，到期一次还本"),
    ("募集资金用途", "偿还到期公司债券本金及补充流动资金"),
    ("增信措施", "无担保"),
]
RATING_TEXT = [
    "评级机构：澄明信用评级有限公司。",
    "主体信用等级为AA+，评级展望为稳定；本期债券信用等级为AA+。",
    "评级机构认为，发行人作为区域核心港口运营主体，港口资源稀缺、腹地经济稳定，"
    "股东支持意愿较强，但资本支出压力较大、有息债务规模持续增长。",
]
# (line item, 2025年度, 2024年度, 2023年度) in 亿元; 资产总计 − 负债合计 = 所有者权益合计 in every year.
YEARS = ("2025年度", "2024年度", "2023年度")
FIGURES = [
    ("营业收入", "236.85", "214.37", "198.62"),
    ("净利润", "18.46", "16.93", "15.28"),
    ("资产总计", "1,286.40", "1,174.95", "1,083.17"),
    ("负债合计", "742.18", "683.52", "640.09"),
    ("所有者权益合计", "544.22", "491.43", "443.08"),
    ("经营活动产生的现金流量净额", "41.37", "36.85", "33.90"),
]
FIGURES_PAGE = 2
SUMMARY = [
    "核心观点：沧澜港航集团有限公司是沧澜港唯一的港口运营主体，2025年完成货物吞吐量3.26亿吨、"
    "集装箱吞吐量612万标准箱，收入和利润稳步增长；经营活动现金流持续净流入，债务期限结构合理。",
    "我们给予发行人“稳定”的信用展望，对25沧港01的投资建议为“适度配置”。",
]
OPERATIONS = [
    "发行人主营港口装卸、港口物流和航运服务三大板块。2025年港口装卸板块收入占营业收入的58%，"
    "港口物流板块占27%，航运服务板块占15%。",
    "2025年完成货物吞吐量3.26亿吨，同比增长6.5%；集装箱吞吐量612万标准箱，同比增长8.1%；"
    "集装箱码头泊位利用率为71%。",
    "截至2025年末，发行人有息债务余额为598.34亿元，其中短期有息债务占比为24%；"
    "EBITDA利息保障倍数为4.6倍，货币资金对短期有息债务的覆盖倍数为1.3倍。",
]
CONCLUSIONS = [
    "研究结论：发行人区域港口地位突出，吞吐量和收入稳步增长，经营获现能力较强，"
    "再融资渠道通畅，整体偿债能力很强，违约风险很低。",
    "投资建议：维持对发行人的“稳定”信用展望，对25沧港01给予“适度配置”建议，"
    "建议关注第3年末票面利率调整和回售安排。",
]
RISKS = [
    "资本支出风险：发行人在建码头及航道工程计划总投资约186亿元，未来三年资本支出压力较大，"
    "可能推高有息债务规模。",
    "行业周期风险：港口吞吐量与宏观经济和外贸形势高度相关，若外需走弱，发行人收入增速可能放缓。",
    "利率风险：本期债券为固定利率品种，存续期内市场利率上行将使债券价格下跌。",
    "回售风险：第3年末若投资者集中行使回售选择权，发行人将面临一定的集中兑付压力。",
]
DISCLAIMER = (f"{FICTIONAL}本报告中的发行人、债券、评级机构、分析师及全部数据均为虚构，仅供Zhiku演示使用，"
              "不构成任何投资建议，与任何真实机构或证券无关。")


def build_pdf(path: Path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = report_styles()
    base = styles["base"]
    st_title, st_sub, st_notice, st_h1 = styles["title"], styles["sub"], styles["notice"], styles["h1"]
    # Body leading stays under 1.5 em, so a wrapped paragraph is one block of text; "label：value" lines and
    # statement rows get space above them, so each is a line of its own.
    st_body = ParagraphStyle("body", fontSize=10.5, leading=15, spaceAfter=5, **base)
    st_line = ParagraphStyle("line", fontSize=10.5, leading=15, spaceBefore=4, **base)

    on_page = running_header(f"华夏通商银行 固定收益研究　{FICTIONAL}", REPORT_DATE, FIXED_PDF_DATE)

    def paragraphs(texts, style=st_body):
        return [Paragraph(escape(text), style) for text in texts]

    story = [
        Paragraph(escape(REPORT_TITLE), st_title),
        Paragraph(escape(f"{AUTHORS}　{REPORT_DATE}"), st_sub),
        Paragraph(escape(DISCLAIMER), st_notice),
        Paragraph("一、核心观点", st_h1), *paragraphs(SUMMARY),
        Paragraph("二、债券概况", st_h1), *paragraphs([f"{k}：{v}" for k, v in BOND_TERMS], st_line),
        Paragraph("三、信用评级", st_h1), *paragraphs(RATING_TEXT),
        PageBreak(),
        Paragraph("四、经营分析", st_h1), *paragraphs(OPERATIONS),
        Paragraph("五、主要财务数据（单位：亿元）", st_h1),
        Paragraph(escape("项目 " + " ".join(YEARS)), st_line),
        *paragraphs([" ".join(row) for row in FIGURES], st_line),
        Paragraph(escape("注：2023—2025年度财务数据经审计；资产负债率等比率由本报告根据上表计算。"), st_line),
        PageBreak(),
        Paragraph("六、研究结论与投资建议", st_h1), *paragraphs(CONCLUSIONS),
        Paragraph("七、风险提示", st_h1), *paragraphs(RISKS),
        Paragraph("八、免责声明", st_h1), Paragraph(escape(DISCLAIMER), st_body),
    ]
    doc = SimpleDocTemplate(
        str(path), pagesize=A4,
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=22 * mm, bottomMargin=22 * mm,
        title=REPORT_TITLE, author=AUTHOR, subject="债券信用分析报告（虚构演示材料）",
        creator="Zhiku demo/build_research_demo.py", producer="ReportLab (invariant mode)",
        keywords=[ISSUER, "信用分析", "公司债券", "虚构演示"], invariant=1,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


def verify(path: Path) -> list[str]:
    """What is wrong with the file: size, pages, fictional mark, and every field and figure as read back."""
    from zhiku.core.types import ParsedDocument
    from zhiku.ingest.chunker import ChunkingConfig, StructuredChunker
    from zhiku.ingest.parsers import pdf as pdf_parser
    from zhiku.retrieval.search_hit import Citation, SearchHit, StageScores
    from zhiku.scenarios.field_extraction import FieldExtractor
    from zhiku.scenarios.financial_figures import figures_in
    from zhiku.scenarios.report_template import TemplateLibrary

    if not path.is_file():
        return [f"{path} does not exist"]
    errors = []
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        errors.append(f"{path.name} is {len(data)} bytes, over {MAX_BYTES}")
    parsed: ParsedDocument = pdf_parser.parse(data, path.name)
    pages = {b.page for b in parsed.blocks}
    if max(pages) < 3:
        errors.append(f"{path.name} has {max(pages)} pages, expected 3")
    if "虚构" not in "\n".join(b.text for b in parsed.blocks):
        errors.append("the fictional-material mark is missing from the text layer")
    hits = [SearchHit(f"c{i}", c.text, c.parent_text, 0.0, StageScores(),
                      Citation("demo", "demo", path.name, c.page, c.page_end, list(c.heading_path),
                               c.char_start, c.char_end, None))
            for i, c in enumerate(StructuredChunker(ChunkingConfig(512, 64, 2048)).chunk(parsed))]
    template = TemplateLibrary().get("research_report_zh")
    extractor = FieldExtractor()  # patterns only, no LLM: every field must be readable offline
    for spec in (f for s in template.sections for f in s.fields):
        expected = TRUTH_FIELDS.get(spec.id)
        found = extractor.extract(spec, lambda query: hits, ISSUER)
        read = (found.value, found.hit.citation.page) if found else None
        if expected is None:
            errors.append(f"no ground truth for template field {spec.id}")
        elif read != expected:
            errors.append(f"{spec.id}: read {read}, expected {expected}")
    years = [y[:4] for y in YEARS]
    for label, *values in FIGURES:
        read = {f.period: (f.text, f.hit.citation.page, f.unit) for h in hits for f in figures_in(h, label, label)}
        want = {year: (value, FIGURES_PAGE, "亿元") for year, value in zip(years, values)}
        if read != want:
            errors.append(f"{label}: read {read}, expected {want}")
    return errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--verify-only", action="store_true", help="do not rebuild, only verify the existing file")
    args = ap.parse_args(argv)
    path = KB_DIR / FILE_NAME
    if not args.verify_only:
        KB_DIR.mkdir(parents=True, exist_ok=True)
        build_pdf(path)
    errors = verify(path)
    if errors:
        print("VERIFICATION FAILED:\n  - " + "\n  - ".join(errors), file=sys.stderr)
        return 1
    print(f"{path.stat().st_size:>8}  {path.relative_to(REPO_DIR)}\nOK: fields and figures read back as written.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
