"""A report as Markdown or DOCX: statements with their [n] markers, figure tables, gaps, and the sources."""
from __future__ import annotations

import io

from docx import Document as DocxDocument
from docx.shared import Pt

from zhiku.scenarios.report import Report

DRAFT_NOTE = ("本报告为知库根据所列材料自动生成的草稿：每项陈述均注明出处，缺口需补充材料，结论须经客户经理审核。"
              " / Draft generated from the listed materials: every statement is cited; gaps need materials; "
              "conclusions need review.")


def _marks(citations: list[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


def to_markdown(report: Report) -> str:
    lines = [f"# {report.title}", "", f"> {DRAFT_NOTE}", "",
             f"材料 / Materials: {', '.join(d['name'] for d in report.documents)}", ""]
    for section in report.sections:
        lines += [f"## {section.title}", ""]
        for statement in section.statements:
            flag = " ⚠ 未被出处支持 / unsupported" if not statement.supported else ""
            lines.append(f"- {statement.text}{_marks(statement.citations)}{flag}")
        if section.statements:
            lines.append("")
        if section.figures:
            unit = f"（单位：{section.unit}）" if section.unit else ""
            lines.append(f"| 项目{unit} | " + " | ".join(section.periods) + " | 出处 |")
            lines.append("|" + "---|" * (len(section.periods) + 2))
            for row in section.figures:
                label = f"{row.label}（计算：{row.formula}）" if row.computed else row.label
                cells = [row.values.get(p, "—") for p in section.periods]
                lines.append(f"| {label} | " + " | ".join(cells) + f" | {_marks(row.citations)} |")
            lines.append("")
        if not section.statements and not section.figures:
            lines += ["（材料中未找到 / nothing found in the materials）", ""]
    if report.warnings:
        lines += ["## 数据核对提示 / Consistency warnings", ""] + [f"- {w}" for w in report.warnings] + [""]
    lines += ["## 信息缺口 / Gaps", ""]
    lines += [f"- {g.section} · {g.item}：{g.reason}" for g in report.gaps] or ["- 无 / none"]
    lines += ["", "## 出处 / Sources", ""]
    for number, hit in enumerate(report.citations, start=1):
        snippet = " ".join(hit.text.split())[:160]
        lines.append(f"[{number}] {hit.citation.label()} — {snippet}")
    return "\n".join(lines) + "\n"


def to_docx(report: Report) -> bytes:
    doc = DocxDocument()
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    doc.add_heading(report.title, level=0)
    doc.add_paragraph().add_run(DRAFT_NOTE).italic = True
    doc.add_paragraph(f"材料 / Materials: {', '.join(d['name'] for d in report.documents)}")
    for section in report.sections:
        doc.add_heading(section.title, level=1)
        for statement in section.statements:
            flag = " ⚠ 未被出处支持" if not statement.supported else ""
            doc.add_paragraph(f"{statement.text}{_marks(statement.citations)}{flag}", style="List Bullet")
        if section.figures:
            table = doc.add_table(rows=1, cols=len(section.periods) + 2)
            table.style = "Table Grid"
            unit = f"（单位：{section.unit}）" if section.unit else ""
            for cell, text in zip(table.rows[0].cells, [f"项目{unit}", *section.periods, "出处"]):
                cell.text = text
            for row in section.figures:
                cells = table.add_row().cells
                cells[0].text = f"{row.label}（计算：{row.formula}）" if row.computed else row.label
                for i, period in enumerate(section.periods, start=1):
                    cells[i].text = row.values.get(period, "—")
                cells[-1].text = _marks(row.citations)
        if not section.statements and not section.figures:
            doc.add_paragraph("（材料中未找到 / nothing found in the materials）")
    if report.warnings:
        doc.add_heading("数据核对提示 / Consistency warnings", level=1)
        for warning in report.warnings:
            doc.add_paragraph(warning, style="List Bullet")
    doc.add_heading("信息缺口 / Gaps", level=1)
    for gap in report.gaps or []:
        doc.add_paragraph(f"{gap.section} · {gap.item}：{gap.reason}", style="List Bullet")
    if not report.gaps:
        doc.add_paragraph("无 / none")
    doc.add_heading("出处 / Sources", level=1)
    for number, hit in enumerate(report.citations, start=1):
        doc.add_paragraph(f"[{number}] {hit.citation.label()} — {' '.join(hit.text.split())[:160]}")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def to_dict(report: Report) -> dict:
    """The report as the API returns it (and report.json stores it)."""
    from zhiku.answer.chat_service import citation_record

    return {
        "id": report.id, "template_id": report.template_id, "title": report.title, "subject": report.subject,
        "mode": report.mode, "created_at": report.created_at, "documents": report.documents,
        "sections": [{"id": s.id, "title": s.title, "unit": s.unit, "periods": s.periods,
                      "statements": [{"text": st.text, "citations": st.citations, "label": st.label,
                                      "value": st.value, "supported": st.supported} for st in s.statements],
                      "figures": [{"id": f.item_id, "label": f.label, "values": f.values, "citations": f.citations,
                                   "computed": f.computed, "formula": f.formula} for f in s.figures]}
                     for s in report.sections],
        "gaps": [{"section": g.section, "item": g.item, "reason": g.reason} for g in report.gaps],
        "warnings": report.warnings,
        "citations": [citation_record(h) for h in report.citations],
    }
